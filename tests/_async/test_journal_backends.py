"""The journal backends on their own: SQLite and a real PostgreSQL server.

Scope, the lease (the fence), ages on the journal's clock, operators' resolutions, pruning and
sealing, statement by statement."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qbank_connect import idempotency_key_for
from qbank_connect._async.stores.journal import open_async_journal
from qbank_connect._stores.journal import generation_key, journal_scope, json_body_record
from qbank_connect.errors import QBankStoreUnavailableError
from qbank_connect.journal import (
    AsyncJournal,
    AsyncSQLJournal,
    EntryState,
    JournalEntry,
    JournalOutcome,
    JournalScope,
)

from ..concurrency import gather_async

pytestmark = pytest.mark.anyio

NOW = datetime.now(timezone.utc)
BANK = "https://api.qbankconnect.com/v1"
SCOPE = journal_scope(BANK, "client-a", journal_key="k1", client_secret=None)
WINDOW = timedelta(hours=23)
LEASE = timedelta(seconds=30)


def entry(reference: str, body: bytes = b'{"amount": "1.00"}') -> JournalEntry:
    text, digest = json_body_record(body)
    return JournalEntry(
        reference,
        "createAchPayment",
        idempotency_key_for("createAchPayment", reference),
        digest,
        text,
        NOW,
    )


def on_trio(request: pytest.FixtureRequest) -> bool:
    return (
        "anyio_backend" in request.fixturenames
        and request.getfixturevalue("anyio_backend") == "trio"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
async def journal(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncJournal]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'journal.db'}"
    elif on_trio(request):
        pytest.skip("psycopg's async API needs asyncio")
    else:
        url = request.getfixturevalue("postgres_url")
    opened = open_async_journal(url)
    assert opened is not None
    yield opened
    await opened.aclose()


async def older(journal: AsyncJournal, reference: str, seconds: float) -> None:
    """Age an entry on the journal's clock (what time does to a row)."""
    assert isinstance(journal, AsyncSQLJournal)
    p = journal.sql.dialect.placeholder
    await journal._execute(
        f"UPDATE qbank_journal SET created_at = created_at - {p}, "
        f"lease_expires = lease_expires - {p} WHERE reference = {p}",
        (seconds, seconds, reference),
    )


async def test_claim_inserts_once_and_returns_the_winner(journal: AsyncJournal) -> None:
    first = await journal.claim(SCOPE, entry("inv:1"))
    assert first.state is EntryState.PENDING and first.body == entry("inv:1").body
    assert first.bank == BANK and first.client_id == "client-a" and first.generation == 1
    assert first.now is not None and abs(first.now - first.created_at) < timedelta(seconds=5)
    later = await journal.claim(SCOPE, entry("inv:1", b'{"amount": "2.00"}'))
    assert later.body_digest == first.body_digest and later.created_at == first.created_at
    other = JournalEntry("inv:1", "createWirePayment", "k", first.body_digest, "{}", NOW)
    assert (await journal.claim(SCOPE, other)).operation == "createWirePayment"
    assert await journal.get(SCOPE, "createAchPayment", "inv:2") is None


async def test_other_banks_and_client_ids_never_see_an_entry(journal: AsyncJournal) -> None:
    other_bank = journal_scope(
        "https://other.bank/v1", "client-a", journal_key="k1", client_secret=None
    )
    other_client = journal_scope(BANK, "client-b", journal_key="k1", client_secret=None)
    await journal.claim(SCOPE, entry("inv:1"))
    await journal.settle(SCOPE, entry("inv:1"), JournalOutcome(201, '{"id": "p1"}', True))
    for scope in (other_bank, other_client):
        assert await journal.get(scope, "createAchPayment", "inv:1") is None
        assert await journal.pending(scope) == []
        mine = await journal.claim(scope, entry("inv:1"))
        assert mine.state is EntryState.PENDING and mine.outcome is None
        assert (mine.bank, mine.client_id) == (scope.bank, scope.client_id)
    assert len(await journal.pending(other_bank)) == 1
    stored = await journal.get(SCOPE, "createAchPayment", "inv:1")
    assert stored is not None and stored.state is EntryState.SUCCEEDED


async def test_settle_records_once_and_pending_lists_the_rest(journal: AsyncJournal) -> None:
    for reference, age in (("b", 5), ("a", 50), ("c", 1)):
        await journal.claim(SCOPE, entry(reference))
        await older(journal, reference, age)
    assert [e.reference for e in await journal.pending(SCOPE)] == ["a", "b", "c"]  # oldest first
    won = JournalOutcome(201, '{"id": "p1"}', True, request_id="r1")
    await journal.settle(SCOPE, entry("b"), won)
    await journal.settle(SCOPE, entry("b"), JournalOutcome(201, '{"id": "p2"}', True))  # no-op
    refused = JournalOutcome(422, "{}", True, error="QBankInsufficientFundsError")
    await journal.settle(SCOPE, entry("c"), refused)
    b = await journal.get(SCOPE, "createAchPayment", "b")
    assert b is not None and b.state is EntryState.SUCCEEDED and b.outcome == won
    c = await journal.get(SCOPE, "createAchPayment", "c")
    assert c is not None and c.state is EntryState.FAILED
    assert [e.reference for e in await journal.pending(SCOPE)] == ["a"]


async def test_one_lease_at_a_time(journal: AsyncJournal) -> None:
    stored = await journal.claim(SCOPE, entry("inv:L"))
    first = await journal.acquire(SCOPE, stored, "one", lease=LEASE, window=WINDOW)
    assert first.lease_owner == "one" and first.lease_expires is not None
    second = await journal.acquire(SCOPE, stored, "two", lease=LEASE, window=WINDOW)
    assert second.lease_owner == "one" and second.held_by_other("two")
    again = await journal.acquire(SCOPE, stored, "one", lease=LEASE, window=WINDOW)
    assert again.lease_owner == "one"  # renewed by its holder
    await journal.release(SCOPE, stored, "two")  # not the holder: nothing happens
    assert (
        await journal.acquire(SCOPE, stored, "two", lease=LEASE, window=WINDOW)
    ).lease_owner == "one"
    await older(journal, "inv:L", 31)  # the lease ran out on the journal's clock
    taken = await journal.acquire(SCOPE, stored, "two", lease=LEASE, window=WINDOW)
    assert taken.lease_owner == "two"


async def test_concurrent_acquires_grant_one(journal: AsyncJournal) -> None:
    stored = await journal.claim(SCOPE, entry("inv:race"))
    results = await gather_async(
        [
            lambda i=i: journal.acquire(SCOPE, stored, f"owner-{i}", lease=LEASE, window=WINDOW)
            for i in range(20)
        ]
    )
    owners = {r.lease_owner for r in results if isinstance(r, JournalEntry)}
    assert len(owners) == 1, results


async def test_an_entry_past_the_window_is_marked_reconcile_and_never_leased(
    journal: AsyncJournal,
) -> None:
    stored = await journal.claim(SCOPE, entry("inv:old"))
    held = await journal.acquire(SCOPE, stored, "holder", lease=LEASE, window=WINDOW)
    assert held.lease_owner == "holder"
    await older(journal, "inv:old", 10)  # 10 s old, the lease still live for 20 s
    # A window that makes it too old, while another holds it: not marked under a live lease.
    seen = await journal.acquire(SCOPE, stored, "other", lease=LEASE, window=timedelta(seconds=5))
    assert seen.state is EntryState.PENDING and seen.lease_owner == "holder"
    await older(journal, "inv:old", 23 * 3600)
    marked = await journal.acquire(SCOPE, stored, "other", lease=LEASE, window=WINDOW)
    assert marked.state is EntryState.RECONCILE and marked.lease_owner is None
    # The old holder comes back (a resumed process): it gets no lease.
    back = await journal.acquire(SCOPE, stored, "holder", lease=LEASE, window=WINDOW)
    assert back.state is EntryState.RECONCILE and back.lease_owner is None
    assert [e.state for e in await journal.pending(SCOPE)] == [EntryState.RECONCILE]


async def test_resolving_closes_a_reconcile_entry(journal: AsyncJournal) -> None:
    for reference in ("paid", "unsent", "young"):
        await journal.claim(SCOPE, entry(reference))
    assert not await journal.resolve(
        SCOPE, "createAchPayment", "young", payment_id="p", resolved_by="ops"
    )  # pending: not closable by hand
    for reference in ("paid", "unsent"):
        await older(journal, reference, 24 * 3600)
        stored = await journal.get(SCOPE, "createAchPayment", reference)
        assert stored is not None
        await journal.acquire(SCOPE, stored, "x", lease=LEASE, window=WINDOW)
    assert await journal.resolve(
        SCOPE, "createAchPayment", "paid", payment_id="pay_1", resolved_by="ops@host"
    )
    paid = await journal.get(SCOPE, "createAchPayment", "paid")
    assert paid is not None and paid.state is EntryState.RESOLVED and paid.payment_id == "pay_1"
    assert paid.resolved_by == "ops@host" and paid.resolved_at is not None
    assert await journal.resolve(
        SCOPE, "createAchPayment", "unsent", payment_id=None, resolved_by="ops@host"
    )
    unsent = await journal.get(SCOPE, "createAchPayment", "unsent")
    assert unsent is not None and unsent.state is EntryState.NOT_SENT
    # The next generation: a new key; the old generation can never be leased again.
    fresh = JournalEntry(
        "unsent",
        "createAchPayment",
        generation_key("createAchPayment", "unsent", 2),
        unsent.body_digest,
        unsent.body,
        NOW,
        generation=2,
    )
    renewed = await journal.renew(SCOPE, unsent, fresh)
    assert renewed.generation == 2 and renewed.state is EntryState.PENDING
    assert renewed.idempotency_key != unsent.idempotency_key
    assert renewed.created_at > unsent.created_at
    stale = await journal.acquire(SCOPE, unsent, "old-holder", lease=LEASE, window=WINDOW)
    assert stale.lease_owner is None and stale.generation == 2


async def test_prune_deletes_settled_entries_only(journal: AsyncJournal) -> None:
    for reference in ("done", "open"):
        await journal.claim(SCOPE, entry(reference))
    await journal.settle(SCOPE, entry("done"), JournalOutcome(201, "{}", True))
    later = await journal.now() + timedelta(seconds=1)
    assert await journal.prune(SCOPE, later - timedelta(days=1)) == 0
    assert await journal.prune(SCOPE, later) == 1
    assert await journal.get(SCOPE, "createAchPayment", "done") is None
    assert await journal.get(SCOPE, "createAchPayment", "open") is not None


async def test_bodies_and_answers_are_sealed_and_bound_to_their_entry(
    journal: AsyncJournal,
) -> None:
    body = b'{"recipient_details": {"account_number": "987654321012"}}'
    await journal.claim(SCOPE, entry("sealed", body))
    answer = JournalOutcome(201, '{"account_number": "987654321012"}', True)
    await journal.settle(SCOPE, entry("sealed", body), answer)
    assert isinstance(journal, AsyncSQLJournal)
    rows = await journal._query("SELECT body, outcome FROM qbank_journal", ())
    assert rows and all("987654321012" not in str(value) for row in rows for value in row)
    read = await journal.get(SCOPE, "createAchPayment", "sealed")
    assert read is not None and "987654321012" in read.body and read.outcome == answer
    rotated = journal_scope(BANK, "client-a", journal_key=["k2", "k1"], client_secret=None)
    assert (await journal.get(rotated, "createAchPayment", "sealed")) is not None
    wrong = journal_scope(BANK, "client-a", journal_key="other", client_secret=None)
    with pytest.raises(QBankStoreUnavailableError, match="journal_key"):
        await journal.get(wrong, "createAchPayment", "sealed")
    # A sealed body moved to another reference does not open there.
    await journal.claim(SCOPE, entry("victim"))
    p = journal.sql.dialect.placeholder
    await journal._execute(
        f"UPDATE qbank_journal SET body = (SELECT body FROM qbank_journal WHERE reference = {p}) "
        f"WHERE reference = {p}",
        ("sealed", "victim"),
    )
    with pytest.raises(QBankStoreUnavailableError):
        await journal.get(SCOPE, "createAchPayment", "victim")


async def test_an_unscoped_table_is_refused_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TABLE qbank_journal (operation TEXT NOT NULL, reference TEXT NOT NULL, "
            "idempotency_key TEXT NOT NULL, body_digest TEXT NOT NULL, body TEXT NOT NULL, "
            "created_at TEXT NOT NULL, state TEXT NOT NULL, outcome TEXT, "
            "PRIMARY KEY (operation, reference))"
        )
    conn.close()
    os.chmod(path, 0o600)
    journal = open_async_journal(f"sqlite:///{path}")
    assert journal is not None
    with pytest.raises(QBankStoreUnavailableError, match="RENAME TO qbank_journal_unscoped"):
        await journal.claim(SCOPE, entry("x"))
    await journal.aclose()


async def test_sqlite_file_is_private(tmp_path: Path) -> None:
    journal = open_async_journal(f"sqlite:///{tmp_path / 'j.db'}")
    assert journal is not None
    await journal.claim(SCOPE, entry("x"))
    await journal.aclose()
    for name in ("j.db", "j.db-wal", "j.db-shm"):
        if (tmp_path / name).exists():
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name


def test_scope_equality_ignores_the_sealer() -> None:
    assert JournalScope(BANK, "a", object()) == JournalScope(BANK, "a", None)
