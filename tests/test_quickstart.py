"""The README's first command: the quickstart runs to the end against the embedded sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
        "409 conflict",
        "payments made for that key: 1",
        "amount: Value error, must have at most 2 decimal places",
        "from_date must not be after to_date",
        "QBankBadRequestError ERR_VAL_001",
        "QBankPermissionDeniedError ERR_SCOPE_001",
        "Done:",
    ]:
        assert expected in out, f"{expected!r} missing from:\n{out}"
    assert result.stderr == ""
