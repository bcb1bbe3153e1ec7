"""A read-only journal file stops the payment: a named error, and nothing is sent.

Root ignores file modes, so when the tests run as root the paying process runs without the
capabilities that bypass them (``tests/privileges.py``), against the sandbox served here over a loopback socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from ..privileges import unprivileged_prefix

pytestmark = pytest.mark.e2e

SRC = Path(__file__).resolve().parents[2] / "src"
START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
BODY = {
    "source_account_id": ACCOUNT_OPERATING,
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "12.00",
    "effective_date": "2026-11-23",
}

CHILD = """
import json, sys
from qbank_connect import QBankConnect
from qbank_connect.errors import QBankError
base_url, journal, body, reference = sys.argv[1:5]
with QBankConnect("demo-client", "demo-s3cret:/+%=", base_url=base_url, journal=journal) as c:
    try:
        c.payments.create_ach(request=json.loads(body), reference=reference)
    except QBankError as e:
        print("NAMED", type(e).__name__, e)
    else:
        print("PAID")
"""


@pytest.fixture
def folder() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are 0700, closed to another user.
    path = Path(tempfile.mkdtemp(prefix="qbank-ro-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        path.chmod(0o755)
        shutil.rmtree(path)


def test_a_read_only_journal_file_stops_the_payment(folder: Path) -> None:
    import json

    journal = folder / "journal.db"
    with Sandbox(start=START) as sandbox, sandbox.serve() as server:
        url = f"sqlite:///{journal}"
        with QBankConnect(
            DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=server.base_url, journal=url
        ) as client:
            client.payments.create_ach(request=BODY, reference="invoice:ro-1")
            assert client.journal is not None
            client.journal.close()
        for leftover in ("journal.db-wal", "journal.db-shm"):
            (folder / leftover).unlink(missing_ok=True)
        prefix = unprivileged_prefix()  # the folder stays writable: only the file is read-only
        journal.chmod(0o400)
        payments_before = sandbox.payments_by_key()
        for reference in ("invoice:ro-1", "invoice:ro-2"):  # recorded, and new
            result = subprocess.run(
                [
                    *prefix,
                    sys.executable,
                    "-c",
                    CHILD,
                    server.base_url,
                    url,
                    json.dumps(BODY),
                    reference,
                ],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(SRC)},
                check=False,
            )
            assert result.stdout.startswith("NAMED QBankStoreUnavailableError"), (
                result.stdout,
                result.stderr,
            )
            assert "read-only" in result.stdout
        assert sandbox.payments_by_key() == payments_before
        assert idempotency_key_for("createAchPayment", "invoice:ro-2") not in payments_before
