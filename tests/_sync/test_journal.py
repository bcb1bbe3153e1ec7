# Generated from tests/_async/test_journal.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The payment journal on the client: ``journal=`` and ``reference=`` against the sandbox, on
SQLite and on a real PostgreSQL server (``tests/servers.py``)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect.errors import (
    QBankInsufficientFundsError,
    QBankReconciliationRequiredError,
    QBankReferenceReuseError,
    QBankStoreUnavailableError,
    QBankStoreURLError,
)
from qbank_connect.journal import (
    ClientJournal,
    EntryState,
    JournalEntry,
    SQLiteJournal,
    SQLJournal,
)
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PETTY_CASH,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    NachaEntry,
    Sandbox,
    build_ach_file,
)

from ..concurrency import gather_threads
from ..servers import free_port

pytestmark = [pytest.mark.e2e]

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ACH = "createAchPayment"


def ach(amount: str = "1250.00", account: str = ACCOUNT_OPERATING) -> dict[str, Any]:
    return {
        "source_account_id": account,
        "recipient_details": {
            "name": "Acme Supplies",
            "routing_number": "021000021",
            "account_number": "123456789",
            "account_type": "checking",
        },
        "amount": amount,
        "effective_date": "2026-11-23",
    }


class Bank:
    """The sandbox, and the requests the SDK sent it (counted by an httpx2 event hook)."""

    def __init__(self, sandbox: Sandbox, journal_url: str) -> None:
        self.sandbox = sandbox
        self.journal_url = journal_url
        self.sent: list[str] = []

    def _count(self, request: httpx2.Request) -> None:
        if request.url.path != "/v1/token":
            self.sent.append(f"{request.method} {request.url.path}")

    def client(self, journal: object = "default", **options: Any) -> QBankConnect:
        http = httpx2.Client(
            transport=self.sandbox.transport(), event_hooks={"request": [self._count]}
        )
        return QBankConnect(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            base_url=self.sandbox.base_url,
            http_client=http,
            journal=self.journal_url if journal == "default" else journal,
            **options,
        )

    def payments(self, key: str) -> list[str]:
        return self.sandbox.payments_by_key().get(key, [])


def on_trio(request: pytest.FixtureRequest) -> bool:
    """True for an async test on trio (the blocking twins have no event loop)."""
    return (
        "anyio_backend" in request.fixturenames
        and request.getfixturevalue("anyio_backend") == "trio"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    if on_trio(request):
        pytest.skip("psycopg's async API needs asyncio")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def bank(journal_url: str) -> Iterator[Bank]:
    with Sandbox(start=START) as sandbox:
        yield Bank(sandbox, journal_url)


@pytest.fixture
def client(bank: Bank) -> Iterator[QBankConnect]:
    with bank.client() as client:
        yield client
        assert client.journal is not None
        client.journal.close()


def journal_of(client: QBankConnect) -> ClientJournal:
    assert client.journal is not None
    return client.journal


def backdate(client: QBankConnect, reference: str, age: timedelta) -> None:
    """Make an entry ``age`` older on the journal's own clock: what time does to a row."""
    backend = journal_of(client).backend
    assert isinstance(backend, SQLJournal)
    p = backend.sql.dialect.placeholder
    backend._execute(
        f"UPDATE qbank_journal SET created_at = created_at - {p} WHERE reference = {p}",
        (age.total_seconds(), reference),
    )


def record(client: QBankConnect, entry: JournalEntry, age: timedelta) -> None:
    """What a crash right after the journal's insert leaves behind, ``age`` ago."""
    journal_of(client).claim(entry)
    backdate(client, entry.reference, age)


def test_a_recorded_reference_is_answered_from_the_journal(
    bank: Bank, client: QBankConnect
) -> None:
    first = client.payments.create_ach(request=ach(), reference="invoice:INV-1042")
    assert bank.sent == ["POST /v1/payments/ach"]
    key = idempotency_key_for(ACH, "invoice:INV-1042")
    assert bank.payments(key) == [first.id]

    again = client.payments.create_ach(request=ach(), reference="invoice:INV-1042")
    assert again.id == first.id and again.amount == Decimal("1250.00")
    assert bank.sent == ["POST /v1/payments/ach"]  # no second request
    raw = client.with_raw_response.payments.create_ach(request=ach(), reference="invoice:INV-1042")
    assert raw.parse().id == first.id and raw.idempotency_key == key
    assert len(bank.sent) == 1

    entry = journal_of(client).get(ACH, "invoice:INV-1042")
    assert entry is not None and entry.state is EntryState.SUCCEEDED
    assert entry.idempotency_key == key
    assert json.loads(entry.body)["recipient_details"]["account_number"] == "123456789"
    assert entry.outcome is not None and entry.outcome.executed and entry.outcome.status == 202
    assert json.loads(entry.outcome.body)["id"] == first.id
    assert journal_of(client).pending() == []


def test_another_body_for_a_reference_is_refused_before_sending(
    bank: Bank, client: QBankConnect
) -> None:
    client.payments.create_ach(request=ach("10.00"), reference="invoice:INV-7")
    with pytest.raises(QBankReferenceReuseError) as caught:
        client.payments.create_ach(request=ach("10.01"), reference="invoice:INV-7")
    assert caught.value.reference == "invoice:INV-7"
    assert len(bank.sent) == 1
    # The same body with its keys in another order is the same instruction.
    reordered = dict(reversed(list(ach("10.00").items())))
    client.payments.create_ach(request=reordered, reference="invoice:INV-7")
    assert len(bank.sent) == 1


def test_a_recorded_refusal_is_raised_again_without_sending(
    bank: Bank, client: QBankConnect
) -> None:
    with pytest.raises(QBankInsufficientFundsError):
        client.payments.create_ach(
            request=ach("900.00", ACCOUNT_PETTY_CASH), reference="invoice:big"
        )
    with pytest.raises(QBankInsufficientFundsError) as again:
        client.payments.create_ach(
            request=ach("900.00", ACCOUNT_PETTY_CASH), reference="invoice:big"
        )
    assert again.value.error_code == "ERR_FUNDS_001"
    assert len(bank.sent) == 1
    entry = journal_of(client).get(ACH, "invoice:big")
    assert entry is not None and entry.state is EntryState.FAILED
    assert entry.outcome is not None and entry.outcome.executed
    assert entry.outcome.error == "QBankInsufficientFundsError"


def pending_entry(reference: str, body: dict[str, Any], age: timedelta) -> JournalEntry:
    """What a crash right after the journal's insert leaves behind."""
    from qbank_connect._stores.journal import json_body_record

    text, digest = json_body_record(json.dumps(body).encode())
    return JournalEntry(
        reference=reference,
        operation=ACH,
        idempotency_key=idempotency_key_for(ACH, reference),
        body_digest=digest,
        body=text,
        created_at=datetime.now(timezone.utc) - age,
    )


def test_a_pending_reference_is_sent_again_with_its_key(bank: Bank, client: QBankConnect) -> None:
    # Crashed after QBank committed: the payment exists, the journal says pending.
    committed = pending_entry("invoice:A", ach("1.00"), timedelta(minutes=5))
    with bank.client(journal=None) as bare:
        made = bare.payments.create_ach(
            request=ach("1.00"), idempotency_key=committed.idempotency_key
        )
    record(client, committed, timedelta(minutes=5))
    # Crashed before the first attempt: nothing was sent.
    unsent = pending_entry("invoice:B", ach("2.00"), timedelta(minutes=5))
    record(client, unsent, timedelta(minutes=5))
    assert {e.reference for e in journal_of(client).pending()} == {"invoice:A", "invoice:B"}
    bank.sent.clear()

    replayed = client.payments.create_ach(request=ach("1.00"), reference="invoice:A")
    assert replayed.id == made.id and bank.payments(committed.idempotency_key) == [made.id]
    fresh = client.payments.create_ach(request=ach("2.00"), reference="invoice:B")
    assert bank.payments(unsent.idempotency_key) == [fresh.id]
    assert len(bank.sent) == 2 and journal_of(client).pending() == []


def test_concurrent_calls_with_one_reference_make_one_payment(
    bank: Bank, client: QBankConnect
) -> None:
    # Slow enough that the calls overlap at QBank: the later ones get 409 and follow the first.
    bank.sandbox.faults.add_latency(ACH, seconds=0.3, times=1)
    results = gather_threads(
        [
            lambda: client.payments.create_ach(request=ach("5.00"), reference="invoice:race")
            for _ in range(6)
        ]
    )
    ids = {r.id for r in results}
    assert len(ids) == 1, results
    assert bank.payments(idempotency_key_for(ACH, "invoice:race")) == list(ids)
    assert [e for e in bank.sandbox.ledger() if e.idempotency_key is not None] == [
        e for e in bank.sandbox.ledger() if e.payment_id in ids
    ]


def test_a_payment_from_25_hours_ago_is_not_made_again(bank: Bank) -> None:
    with bank.client() as client:
        first = client.payments.create_ach(request=ach("3.00"), reference="invoice:old")
        bank.sandbox.advance(hours=25)  # QBank has forgotten the key
        bank.sent.clear()
        again = client.payments.create_ach(request=ach("3.00"), reference="invoice:old")
        assert again.id == first.id and bank.sent == []
        journal_of(client).close()
    key = idempotency_key_for(ACH, "invoice:old")
    assert bank.payments(key) == [first.id]
    # Without the journal the same reference (the same key) pays again: what the journal saves.
    with bank.client(journal=None) as bare:
        bare.payments.create_ach(request=ach("3.00"), reference="invoice:old")
    assert len(bank.payments(key)) == 2


def test_a_pending_call_older_than_the_key_retention_is_never_sent(
    bank: Bank, client: QBankConnect
) -> None:
    old = pending_entry("invoice:stale", ach("4.00"), timedelta(hours=25))
    record(client, old, timedelta(hours=25))
    with pytest.raises(QBankReconciliationRequiredError) as caught:
        client.payments.create_ach(request=ach("4.00"), reference="invoice:stale")
    assert caught.value.idempotency_key == old.idempotency_key
    assert caught.value.body_digest == old.body_digest
    assert bank.sent == []


def test_recover_settles_what_a_crash_left_pending(bank: Bank, client: QBankConnect) -> None:
    journal = journal_of(client)
    committed = pending_entry("invoice:A", ach("1.00"), timedelta(minutes=1))
    with bank.client(journal=None) as bare:
        made = bare.payments.create_ach(
            request=ach("1.00"), idempotency_key=committed.idempotency_key
        )
    unsent = pending_entry("invoice:B", ach("2.00"), timedelta(minutes=1))
    stale = pending_entry("invoice:C", ach("3.00"), timedelta(hours=30))
    refused = pending_entry("invoice:D", ach("900.00", ACCOUNT_PETTY_CASH), timedelta(minutes=1))
    for entry, age in (
        (committed, timedelta(minutes=1)),
        (unsent, timedelta(minutes=1)),
        (stale, timedelta(hours=30)),
        (refused, timedelta(minutes=1)),
    ):
        record(client, entry, age)
    bank.sent.clear()
    bank.sandbox.faults.add_latency(ACH, seconds=0.3, times=1)

    results = {r.reference: r for r in client.recover()}
    assert {k: r.action for k, r in results.items()} == {
        "invoice:A": "succeeded",
        "invoice:B": "succeeded",
        "invoice:C": "reconcile",
        "invoice:D": "failed",
    }
    assert results["invoice:A"].result.id == made.id  # the payment already made, not a new one
    assert bank.payments(unsent.idempotency_key) == [results["invoice:B"].result.id]
    assert bank.payments(stale.idempotency_key) == []  # never sent
    assert results["invoice:C"].idempotency_key == stale.idempotency_key
    assert results["invoice:C"].body_digest == stale.body_digest
    assert isinstance(results["invoice:D"].error, QBankInsufficientFundsError)
    assert len(bank.sent) == 3
    assert [e.reference for e in journal.pending()] == ["invoice:C"]
    again = [(r.action, r.reference) for r in client.recover()]
    assert again == [("reconcile", "invoice:C")] and len(bank.sent) == 3  # still never sent


def test_an_upload_records_the_files_digest_not_its_bytes(bank: Bank, client: QBankConnect) -> None:
    nacha = build_ach_file([NachaEntry("021000021", "000123456", Decimal("125.00"), "JANE DOE")])
    first = client.payments.upload_ach_file(nacha, reference="payroll:2026-11-23")
    again = client.payments.upload_ach_file(nacha, reference="payroll:2026-11-23")
    assert again.id == first.id and len(bank.sent) == 1
    entry = journal_of(client).get("uploadAchFile", "payroll:2026-11-23")
    assert entry is not None
    recorded = json.loads(entry.body)
    assert recorded["file_sha256"] == hashlib.sha256(nacha).hexdigest()
    assert recorded["file_size"] == len(nacha)
    assert "000123456" not in entry.body  # the file's content is not stored
    changed = nacha.replace(b"JANE DOE", b"JOHN DOE")
    with pytest.raises(QBankReferenceReuseError):
        client.payments.upload_ach_file(changed, reference="payroll:2026-11-23")
    assert len(bank.sent) == 1


def test_journal_attribute_and_file_mode(bank: Bank, tmp_path: Path) -> None:
    with bank.client(journal=None) as bare:
        assert bare.journal is None
    mine = SQLiteJournal(tmp_path / "mine.db")
    with bank.client(journal=mine) as client:
        assert client.journal is not None and client.journal.backend is mine
        client.payments.create_ach(request=ach("6.00"), reference="invoice:mode")
    mine.close()
    assert stat.S_IMODE(os.stat(tmp_path / "mine.db").st_mode) == 0o600


# -- bad input: a named error, and nothing sent ---------------------------------------------


def test_malformed_journal_urls_fail_at_construction(bank: Bank) -> None:
    for url in ("sqlite:/x.db", "mysql://db/x", "sqlite:///:memory:", "postgresql://h:99999/x"):
        with pytest.raises(QBankStoreURLError):
            bank.client(journal=url)
    with pytest.raises(ValueError, match="journal"):
        bank.client(journal=42)
    assert bank.sent == []


def test_a_journal_that_cannot_record_stops_the_payment(
    bank: Bank, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # (A read-only journal file: tests/exactly_once/test_read_only_journal.py, as another user.)
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a SQLite database" * 100)
    corrupt.chmod(0o600)
    broken = [f"sqlite:///{corrupt}", f"sqlite:///{tmp_path}/no/such/dir.db"]
    if not on_trio(request):
        broken.append(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    for url in broken:
        with bank.client(journal=url) as client:
            with pytest.raises(QBankStoreUnavailableError):
                client.payments.create_ach(request=ach("8.00"), reference="invoice:x")
    assert bank.sent == []
    assert bank.payments(idempotency_key_for(ACH, "invoice:x")) == []


def test_a_bad_reference_fails_before_anything(bank: Bank, client: QBankConnect) -> None:
    for reference in ("x" * 256, ""):
        with pytest.raises(ValueError, match="reference"):
            client.payments.create_ach(request=ach(), reference=reference)
    with pytest.raises(ValueError, match="reference"):
        client.payments.create_ach(
            request=ach(), reference="invoice:1", idempotency_key=idempotency_key_for("x")
        )
    assert bank.sent == [] and journal_of(client).pending() == []
    ok = client.payments.create_ach(request=ach("9.00"), reference="r" * 255)
    assert bank.payments(idempotency_key_for(ACH, "r" * 255)) == [ok.id]
