"""The README's first command: the quickstart runs to the end against the embedded sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qbank_connect.sandbox import DEMO_READONLY_CLIENT_ID, DEMO_READONLY_CLIENT_SECRET, Sandbox

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_runs_end_to_end_without_credentials() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBANK_")}
    env["PYTHONWARNINGS"] = "error::ResourceWarning"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for expected in [
        "running against the embedded sandbox",
        "replayed=True: same payment True",
        "P_PENDING -> P_PROCESSING -> P_COMPLETED",
        "is P_COMPLETED",
        "the 409 was followed to the same wire, not sent again",
        "payments made for that key: 1",
        "amount: Value error, must have at most 2 decimal places",
        "from_date must not be after to_date",
        "QBankBadRequestError ERR_VAL_001",
        "QBankPermissionDeniedError ERR_SCOPE_001",
        "Done:",
    ]:
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert result.stderr == ""


def test_read_only_mode_names_the_base_url_it_really_uses() -> None:
    with Sandbox() as sandbox, sandbox.serve(port=0) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QBANK_")}
        env.update(
            QBANK_CLIENT_ID=DEMO_READONLY_CLIENT_ID,
            QBANK_CLIENT_SECRET=DEMO_READONLY_CLIENT_SECRET,
            QBANK_BASE_URL=server.base_url,
            PYTHONWARNINGS="error::ResourceWarning",
        )
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "quickstart.py")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    first_line = result.stdout.splitlines()[0]
    assert first_line == (
        f"QBANK_CLIENT_ID is set: read-only tour of {server.base_url} (QBANK_BASE_URL)"
    )
    assert "production" not in result.stdout
    assert "Balance of acc_" in result.stdout  # the read-only tour ran against that server
