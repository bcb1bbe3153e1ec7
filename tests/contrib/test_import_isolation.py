"""``import qbank_connect`` (and its public modules) never imports a web framework or Celery."""

from __future__ import annotations

import subprocess
import sys

FRAMEWORKS = ("django", "fastapi", "starlette", "celery", "kombu")


def test_importing_the_sdk_imports_no_framework() -> None:
    code = (
        "import sys\n"
        "import qbank_connect, qbank_connect.contrib, qbank_connect.webhooks, qbank_connect.journal\n"
        "from qbank_connect import QBankConnect, AsyncQBankConnect\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_check_can_fail() -> None:
    # The same probe sees a framework when one is imported (the test above is not vacuous).
    code = (
        "import sys\n"
        "import qbank_connect.contrib.fastapi\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "fastapi" in out
