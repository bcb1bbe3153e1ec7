# Generated from tests/_async/test_journal_guards.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Issue 17 on the client: scope, time, fence, conflicts and operators, against the sandbox on
SQLite and a real PostgreSQL server. Each test tries to make the journal pay twice or lose a
payment; see docs/exactly-once.md."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx2
import pytest

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect._stores.clock import CLOCK_SKEW
from qbank_connect._stores.journal import generation_key, json_body_record
from qbank_connect.errors import (
    QBankConnectionError,
    QBankIdempotencyConflict,
    QBankReconciliationRequiredError,
)
from qbank_connect.journal import ClientJournal, EntryState, JournalEntry, SQLJournal
from qbank_connect.sandbox import (
    ALL_SCOPES,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
    SandboxClient,
)

from .test_journal import ach

pytestmark = [pytest.mark.e2e]

ACH = "createAchPayment"
START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ACCOUNT_NUMBER = "123456789"  # in every ach() body


class Bank:
    """A sandbox and the requests each client sent it (an httpx2 event hook counts them)."""

    def __init__(self, sandbox: Sandbox, journal: str) -> None:
        self.sandbox = sandbox
        self.journal = journal
        self.sent: list[str] = []
        self.on_response: Callable[[httpx2.Response], Awaitable[None]] | None = None

    def _request(self, request: httpx2.Request) -> None:
        if request.url.path != "/v1/token":
            self.sent.append(f"{request.method} {request.url.path}")

    def _response(self, response: httpx2.Response) -> None:
        if self.on_response is not None and response.request.url.path != "/v1/token":
            self.on_response(response)

    def client(self, journal: object = "default", **options: Any) -> QBankConnect:
        http = httpx2.Client(
            transport=self.sandbox.transport(),
            event_hooks={"request": [self._request], "response": [self._response]},
        )
        options.setdefault("client_id", DEMO_CLIENT_ID)
        options.setdefault("client_secret", DEMO_CLIENT_SECRET)
        return QBankConnect(
            base_url=self.sandbox.base_url,
            http_client=http,
            journal=self.journal if journal == "default" else journal,
            **options,
        )

    def posts(self) -> int:
        return sum(1 for line in self.sent if line.startswith("POST "))

    def payments(self, key: str) -> list[str]:
        return self.sandbox.payments_by_key().get(key, [])


def on_trio(request: pytest.FixtureRequest) -> bool:
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


def journal_of(client: QBankConnect) -> ClientJournal:
    assert client.journal is not None
    return client.journal


def backdate(client: QBankConnect, reference: str, age: timedelta) -> None:
    """Make an entry (and its lease) ``age`` older on the journal's clock."""
    backend = journal_of(client).backend
    assert isinstance(backend, SQLJournal)
    p = backend.sql.dialect.placeholder
    seconds = age.total_seconds()
    backend._execute(
        f"UPDATE qbank_journal SET created_at = created_at - {p}, "
        f"lease_expires = lease_expires - {p} WHERE reference = {p}",
        (seconds, seconds, reference),
    )


def entry(reference: str, body: dict[str, Any], operation: str = ACH) -> JournalEntry:
    import json

    text, digest = json_body_record(json.dumps(body).encode())
    return JournalEntry(
        reference,
        operation,
        idempotency_key_for(operation, reference),
        digest,
        text,
        datetime.now(timezone.utc),
    )


# -- scope --------------------------------------------------------------------------------


def test_two_banks_and_two_client_ids_sharing_a_journal_each_pay_their_own(
    journal_url: str,
) -> None:
    clients = [
        SandboxClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ALL_SCOPES),
        SandboxClient("second-client", "second-secret", ALL_SCOPES),
    ]
    with (
        Sandbox(clients, start=START, seed=1, base_url="http://bank-a.test/v1") as a,
        Sandbox(clients, start=START, seed=2, base_url="http://bank-b.test/v1") as b,
    ):
        banks = [Bank(a, journal_url), Bank(b, journal_url)]
        paid: dict[tuple[int, str], str] = {}
        for number, bank in enumerate(banks):
            for client_id, secret in (
                (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
                ("second-client", "second-secret"),
            ):
                with bank.client(client_id=client_id, client_secret=secret) as client:
                    payment = client.payments.create_ach(
                        request=ach("7.00"), reference="invoice:shared"
                    )
                    again = client.payments.create_ach(
                        request=ach("7.00"), reference="invoice:shared"
                    )
                    assert again.id == payment.id
                    paid[(number, client_id)] = payment.id
                    journal_of(client).close()
        assert len(set(paid.values())) == 4  # one payment per bank and client id
        key = idempotency_key_for(ACH, "invoice:shared")  # its value is kept
        for number, bank in enumerate(banks):
            assert bank.posts() == 2  # each client sent its own once, answered the second time
            ledger = {
                (e.client_id, e.payment_id)
                for e in bank.sandbox.ledger()
                if e.idempotency_key == key
            }
            assert ledger == {
                (DEMO_CLIENT_ID, paid[(number, DEMO_CLIENT_ID)]),
                ("second-client", paid[(number, "second-client")]),
            }


# -- time ---------------------------------------------------------------------------------


def test_a_retry_is_checked_again_and_not_sent_once_the_key_is_too_old(
    bank: Bank,
) -> None:
    with bank.client(max_retries=2) as client:

        def a_day_passes(response: httpx2.Response) -> None:
            if response.status_code == 503:  # between the first attempt and its retry
                backdate(client, "invoice:slow", timedelta(hours=23, minutes=30))

        bank.on_response = a_day_passes
        bank.sandbox.faults.fail_next(ACH, times=1, status=503, retry_after=0)
        with pytest.raises(QBankReconciliationRequiredError):
            client.payments.create_ach(request=ach("2.50"), reference="invoice:slow")
        assert bank.posts() == 1  # the retry was never sent
        stored = journal_of(client).get(ACH, "invoice:slow")
        assert stored is not None and stored.state is EntryState.RECONCILE
        journal_of(client).close()


def test_the_401_replay_is_checked_again(bank: Bank) -> None:
    with bank.client() as client:
        client.authenticate()
        bank.sandbox.expire_tokens()

        def a_day_passes(response: httpx2.Response) -> None:
            if response.status_code == 401:
                backdate(client, "invoice:401", timedelta(hours=24))

        bank.on_response = a_day_passes
        with pytest.raises(QBankReconciliationRequiredError):
            client.payments.create_ach(request=ach("2.75"), reference="invoice:401")
        assert bank.posts() == 1
        assert bank.payments(idempotency_key_for(ACH, "invoice:401")) == []
        journal_of(client).close()


def test_a_skewed_bank_clock_is_logged_once_and_shrinks_the_window(
    journal_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CLOCK_SKEW, "_logged", False)
    monkeypatch.setattr(CLOCK_SKEW, "offset", 0.0)
    monkeypatch.setattr(CLOCK_SKEW, "largest", timedelta(0))
    ahead = datetime.now(timezone.utc) + timedelta(hours=3)
    with Sandbox(start=ahead, ticking=True) as sandbox:
        bank = Bank(sandbox, journal_url)
        caplog.set_level(logging.WARNING, logger="qbank_connect")
        with bank.client() as client:
            client.payments.create_ach(request=ach("1.10"), reference="invoice:skew-1")
            client.payments.create_ach(request=ach("1.20"), reference="invoice:skew-2")
            warnings = [r.getMessage() for r in caplog.records if "clock skew" in r.getMessage()]
            assert len(warnings) == 1 and "behind" in warnings[0]
            assert 3 * 3600 - 5 <= CLOCK_SKEW.offset <= 3 * 3600 + 5
            # A pending entry 21 hours old: inside 23 h, outside 23 h minus a 3-hour skew.
            journal_of(client).claim(entry("invoice:skew-old", ach("1.30")))
            backdate(client, "invoice:skew-old", timedelta(hours=21))
            with pytest.raises(QBankReconciliationRequiredError):
                client.payments.create_ach(request=ach("1.30"), reference="invoice:skew-old")
            assert bank.payments(idempotency_key_for(ACH, "invoice:skew-old")) == []
            journal_of(client).close()


# -- fence --------------------------------------------------------------------------------


def test_an_entry_another_live_sender_holds_is_not_sent(bank: Bank) -> None:
    with bank.client(conflict_wait=0.3) as client:
        journal = journal_of(client)
        held = journal.claim(entry("invoice:held", ach("3.30")))
        granted = journal.backend.acquire(
            journal.scope, held, "another-host", window=timedelta(hours=23)
        )
        assert granted.lease_owner == "another-host"
        with pytest.raises(QBankIdempotencyConflict) as caught:
            client.payments.create_ach(request=ach("3.30"), reference="invoice:held")
        assert caught.value.status_code is None and caught.value.transaction_id is None
        assert caught.value.idempotency_key == held.idempotency_key
        assert bank.posts() == 0
        # Its holder is gone (the lease ran out): the next call sends it, once.
        backdate(client, "invoice:held", timedelta(seconds=31))
        paid = client.payments.create_ach(request=ach("3.30"), reference="invoice:held")
        assert bank.payments(held.idempotency_key) == [paid.id]
        journal.close()


# -- conflicts ----------------------------------------------------------------------------


def test_a_key_held_in_flight_for_400_s_is_followed_not_reposted(bank: Bank) -> None:
    # The first sender times out while QBank keeps the key in flight for 400 s.
    bank.sandbox.faults.add_latency(ACH, seconds=400, times=1)
    with bank.client(timeout=0.3, max_retries=0) as first:
        with pytest.raises(QBankConnectionError):  # a read timeout
            first.payments.create_ach(request=ach("4.40"), reference="invoice:held-400")
        journal_of(first).close()
    assert bank.posts() == 1
    bank.sent.clear()
    with bank.client(conflict_wait=0.5) as second:
        with pytest.raises(QBankIdempotencyConflict) as caught:
            second.payments.create_ach(request=ach("4.40"), reference="invoice:held-400")
        assert caught.value.transaction_id is not None
        assert bank.posts() == 2  # its POST, and at most one more after the wait
        gets = [line for line in bank.sent if line.startswith("GET /v1/payments/")]
        assert gets and all(caught.value.transaction_id in line for line in gets)
        stored = journal_of(second).get(ACH, "invoice:held-400")
        assert stored is not None and stored.state is EntryState.PENDING
        assert stored.transaction_id == caught.value.transaction_id
        journal_of(second).close()


def test_without_a_journal_a_conflict_is_followed_and_never_reposted(bank: Bank) -> None:
    key = idempotency_key_for("no-journal", "1")
    bank.sandbox.faults.add_latency(ACH, seconds=400, times=1)
    with bank.client(journal=None, timeout=0.3, max_retries=0) as first:
        with pytest.raises(QBankConnectionError):
            first.payments.create_ach(request=ach("4.50"), idempotency_key=key)
    bank.sent.clear()
    with bank.client(journal=None, conflict_wait=0.4) as second:
        with pytest.raises(QBankIdempotencyConflict) as caught:
            second.payments.create_ach(request=ach("4.50"), idempotency_key=key)
        assert caught.value.transaction_id is not None and bank.posts() == 1
        bank.sent.clear()
        with pytest.raises(QBankIdempotencyConflict):
            second.payments.create_ach(request=ach("4.50"), idempotency_key=key, conflict_wait=0)
        assert bank.sent == ["POST /v1/payments/ach"]


def test_a_conflict_whose_payment_appears_returns_it(bank: Bank) -> None:
    bank.sandbox.faults.add_latency(ACH, seconds=0.6, times=1)
    with bank.client(timeout=0.2, max_retries=0) as first:
        with pytest.raises(QBankConnectionError):
            first.payments.create_ach(request=ach("4.60"), reference="invoice:appears")
        journal_of(first).close()
    with bank.client(conflict_wait=10) as second:
        payment = second.payments.create_ach(request=ach("4.60"), reference="invoice:appears")
        key = idempotency_key_for(ACH, "invoice:appears")
        assert bank.payments(key) == [payment.id]
        assert bank.posts() == 2  # the first sender's, and the second's (a 409), no more
        stored = journal_of(second).get(ACH, "invoice:appears")
        assert stored is not None and stored.state is EntryState.SUCCEEDED
        again = second.payments.create_ach(request=ach("4.60"), reference="invoice:appears")
        assert again.id == payment.id and bank.posts() == 2
        journal_of(second).close()


def test_recover_works_through_entries_in_flight_concurrently(bank: Bank) -> None:
    bank.sandbox.faults.add_latency(ACH, seconds=400, times=3)
    with bank.client(timeout=0.3, max_retries=0) as first:
        for n in range(3):
            with pytest.raises(QBankConnectionError):
                first.payments.create_ach(request=ach(f"5.0{n}"), reference=f"invoice:r{n}")
        journal_of(first).close()
    bank.sent.clear()
    with bank.client(conflict_wait=0.3) as client:
        results = client.recover(concurrency=3, deadline=30)
        assert sorted(r.action for r in results) == ["unsettled"] * 3
        assert all(isinstance(r.error, QBankIdempotencyConflict) for r in results)
        assert bank.posts() <= 6  # at most one POST after each wait, never a loop
        late = client.recover(deadline=0)
        assert [r.action for r in late] == ["unsettled"] * 3  # nothing started past the deadline
        assert bank.posts() <= 6
        journal_of(client).close()


# -- operators ----------------------------------------------------------------------------


def test_resolving_a_reconcile_entry(bank: Bank) -> None:
    with bank.client() as client:
        journal = journal_of(client)
        for reference, amount in (("invoice:found", "6.10"), ("invoice:lost", "6.20")):
            journal.claim(entry(reference, ach(amount)))
            backdate(client, reference, timedelta(hours=25))
        with bank.client(journal=None) as bare:
            found = bare.payments.create_ach(request=ach("6.10"))  # paid by hand
        with pytest.raises(ValueError, match="no journal entry"):
            journal.resolve(ACH, "invoice:nothing-here", payment_id=found.id)
        results = {r.reference: r.action for r in client.recover()}
        assert results == {"invoice:found": "reconcile", "invoice:lost": "reconcile"}
        bank.sent.clear()

        resolved = journal.resolve(ACH, "invoice:found", payment_id=found.id, resolved_by="ops")
        assert resolved.state is EntryState.RESOLVED and resolved.resolved_by == "ops"
        assert resolved.resolved_at is not None
        again = client.payments.create_ach(request=ach("6.10"), reference="invoice:found")
        assert again.id == found.id
        assert bank.sent == [f"GET /v1/payments/{found.id}"]  # fetched, not paid

        journal.resolve(ACH, "invoice:lost", not_sent=True)
        paid = client.payments.create_ach(request=ach("6.20"), reference="invoice:lost")
        new_key = generation_key(ACH, "invoice:lost", 2)
        assert bank.payments(new_key) == [paid.id]
        assert bank.payments(idempotency_key_for(ACH, "invoice:lost")) == []
        assert journal.pending() == []
        with pytest.raises(ValueError, match="not reconcile"):
            journal.resolve(ACH, "invoice:lost", not_sent=True)  # settled now
        with pytest.raises(ValueError):
            journal.resolve(ACH, "invoice:lost")
        journal.close()


def test_a_call_on_a_reconcile_entry_sends_nothing(bank: Bank) -> None:
    with bank.client() as client:
        journal_of(client).claim(entry("invoice:gone", ach("6.30")))
        backdate(client, "invoice:gone", timedelta(hours=23, minutes=1))
        for _ in range(2):
            with pytest.raises(QBankReconciliationRequiredError):
                client.payments.create_ach(request=ach("6.30"), reference="invoice:gone")
        assert bank.posts() == 0
        journal_of(client).close()


def test_an_old_pending_upload_is_reconcile_not_needs_file(bank: Bank) -> None:
    with bank.client() as client:
        upload = entry("payroll:old", {"file_sha256": "ab", "file_size": 1}, "uploadAchFile")
        young = entry("payroll:young", {"file_sha256": "cd", "file_size": 1}, "uploadAchFile")
        journal_of(client).claim(upload)
        journal_of(client).claim(young)
        backdate(client, "payroll:old", timedelta(hours=25))
        results = {r.reference: r.action for r in client.recover()}
        assert results == {"payroll:old": "reconcile", "payroll:young": "needs_file"}
        journal_of(client).close()


def test_prune_deletes_settled_entries_before_a_time(bank: Bank) -> None:
    with bank.client() as client:
        client.payments.create_ach(request=ach("7.10"), reference="invoice:old-done")
        journal_of(client).claim(entry("invoice:open", ach("7.20")))
        journal = journal_of(client)
        assert journal.prune(settled_before=datetime.now(timezone.utc) - timedelta(days=1)) == 0
        assert journal.prune(settled_before=datetime.now(timezone.utc) + timedelta(hours=1)) == 1
        assert journal.get(ACH, "invoice:old-done") is None
        assert journal.get(ACH, "invoice:open") is not None
        journal.close()


# -- at rest ------------------------------------------------------------------------------


def test_no_account_number_at_rest(bank: Bank, journal_url: str) -> None:
    with bank.client() as client:
        client.payments.create_ach(request=ach("8.10"), reference="invoice:scan-1")
        journal_of(client).claim(entry("invoice:scan-2", ach("8.20")))  # pending
        with bank.client(journal=None) as bare:
            pass
        assert bare.journal is None
        backend = journal_of(client).backend
        assert isinstance(backend, SQLJournal)
        rows = backend._query("SELECT * FROM qbank_journal", ())
        assert len(rows) == 2
        assert all(ACCOUNT_NUMBER not in str(value) for row in rows for value in row)
        entry_read = journal_of(client).get(ACH, "invoice:scan-1")
        assert entry_read is not None and ACCOUNT_NUMBER in entry_read.body  # opens for us
        journal_of(client).close()
    if journal_url.startswith("sqlite:"):
        path = Path(journal_url[len("sqlite:///") :])
        for name in (path, path.with_name(path.name + "-wal")):
            if name.exists():
                assert ACCOUNT_NUMBER.encode() not in name.read_bytes(), name
        with contextlib.closing(sqlite3.connect(path)) as conn, conn:
            dumped = "\n".join(conn.iterdump())
        conn.close()
        assert ACCOUNT_NUMBER not in dumped


def test_a_client_without_a_secret_needs_a_journal_key(bank: Bank) -> None:
    with pytest.raises(ValueError, match="journal_key"):
        bank.client(client_id=None, client_secret=None, token="static-token")
    with bank.client(journal_key=["new-key", "old-key"]) as client:
        client.payments.create_ach(request=ach("9.10"), reference="invoice:keyed")
        journal_of(client).close()
    with bank.client(journal_key="old-key") as old:
        # sealed under "new-key": this key does not open it, and nothing is sent
        with pytest.raises(Exception, match="journal_key"):
            old.payments.create_ach(request=ach("9.10"), reference="invoice:keyed")
        journal_of(old).close()
    with bank.client(journal_key=["newer-key", "new-key"]) as rotated:
        again = rotated.payments.create_ach(request=ach("9.10"), reference="invoice:keyed")
        assert bank.payments(idempotency_key_for(ACH, "invoice:keyed")) == [again.id]
        journal_of(rotated).close()
