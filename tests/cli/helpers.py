"""Running ``qbank`` in a real subprocess, and a sandbox served by the test process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qbank_connect

SRC = Path(qbank_connect.__file__).resolve().parents[1]
DEMO_SECRET = "demo-s3cret:/+%="

ACH = {
    "source_account_id": "acc_operating",
    "amount": "1250.10",
    "effective_date": "2026-11-23",
    "recipient_details": {
        "name": "Acme Supply",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
}
WIRE = {
    "source_account_id": "acc_operating",
    "amount": "25000.00",
    "beneficiary": {
        "name": "Globex GmbH",
        "account_number": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    },
}
TRANSFER = {
    "source_account_id": "acc_operating",
    "destination_account_id": "acc_payroll",
    "amount": "2500.00",
}
CHECK_ISSUE = {
    "account_id": "acc_operating",
    "check_number": "10042",
    "amount": "1250.00",
    "issue_date": "2026-11-20",
    "payee_name": "Acme",
}


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a ``qbank`` run: no QBANK_* of the developer's, the SDK on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBANK_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def served_env(base_url: str, **extra: str) -> dict[str, str]:
    """Point ``qbank`` at a served sandbox with the demo credentials."""
    return cli_env(
        QBANK_BASE_URL=base_url,
        QBANK_CLIENT_ID="demo-client",
        QBANK_CLIENT_SECRET=DEMO_SECRET,
        **extra,
    )


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return (
            f"<Run qbank {' '.join(self.args)} -> {self.returncode}\n{self.stdout}\n{self.stderr}>"
        )


def qbank_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "qbank_connect", *args]


def qbank(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> Run:
    """Run ``python -m qbank_connect ARGS`` and wait for it."""
    data = input.encode() if isinstance(input, str) else input
    done = subprocess.run(
        qbank_command(*args),
        input=data,
        capture_output=True,
        env=env or cli_env(),
        cwd=cwd,
        timeout=timeout,
    )
    return Run(args, done.returncode, done.stdout.decode(), done.stderr.decode())


def assert_one_line_error(run: Run, code: int, *needles: str) -> None:
    """The failure is one ``qbank: error:`` line on stderr, with no traceback."""
    assert run.returncode == code, run
    assert "Traceback" not in run.stderr, run
    lines = [line for line in run.stderr.splitlines() if line.startswith("qbank: error:")]
    assert len(lines) == 1, run
    for needle in needles:
        assert needle in lines[0], run
