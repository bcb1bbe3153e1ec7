"""The journal backends on their own: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qbank_connect import idempotency_key_for
from qbank_connect._async.stores.journal import open_async_journal
from qbank_connect._stores.journal import json_body_record
from qbank_connect.journal import AsyncJournal, EntryState, JournalEntry, JournalOutcome

from ..concurrency import gather_async

pytestmark = pytest.mark.anyio

NOW = datetime.now(timezone.utc)


def entry(reference: str, body: bytes = b'{"amount": "1.00"}', age: float = 0) -> JournalEntry:
    text, digest = json_body_record(body)
    return JournalEntry(
        reference,
        "createAchPayment",
        idempotency_key_for("createAchPayment", reference),
        digest,
        text,
        NOW - timedelta(seconds=age),
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


async def test_claim_inserts_once_and_returns_the_winner(journal: AsyncJournal) -> None:
    first = await journal.claim(entry("inv:1", age=10))
    assert first == entry("inv:1", age=10) and first.state is EntryState.PENDING
    later = await journal.claim(entry("inv:1", b'{"amount": "2.00"}'))
    assert later == first  # the earlier entry, body and time included
    other_operation = entry("inv:1")
    other_operation = JournalEntry(
        "inv:1", "createWirePayment", "k", other_operation.body_digest, "{}", NOW
    )
    assert (await journal.claim(other_operation)).operation == "createWirePayment"
    assert await journal.get("createAchPayment", "inv:2") is None


async def test_settle_records_once_and_pending_lists_the_rest(journal: AsyncJournal) -> None:
    for reference, age in (("b", 5), ("a", 50), ("c", 1)):
        await journal.claim(entry(reference, age=age))
    assert [e.reference for e in await journal.pending()] == ["a", "b", "c"]  # oldest first
    won = JournalOutcome(201, '{"id": "p1"}', True, request_id="r1")
    await journal.settle(entry("b"), won)
    await journal.settle(entry("b"), JournalOutcome(201, '{"id": "p2"}', True))  # no-op
    refused = JournalOutcome(422, "{}", True, error="QBankInsufficientFundsError")
    await journal.settle(entry("c"), refused)
    b = await journal.get("createAchPayment", "b")
    assert b is not None and b.state is EntryState.SUCCEEDED and b.outcome == won
    c = await journal.get("createAchPayment", "c")
    assert c is not None and c.state is EntryState.FAILED
    assert [e.reference for e in await journal.pending()] == ["a"]


async def test_concurrent_claims_agree_on_one_entry(journal: AsyncJournal) -> None:
    results = await gather_async(
        [lambda i=i: journal.claim(entry(f"race:{i % 5}", age=i)) for i in range(40)]
    )
    by_reference: dict[str, set[datetime]] = {}
    for result in results:
        assert isinstance(result, JournalEntry), result
        by_reference.setdefault(result.reference, set()).add(result.created_at)
    assert len(by_reference) == 5 and all(len(times) == 1 for times in by_reference.values())
    assert len(await journal.pending()) == 5


async def test_sqlite_file_is_private(tmp_path: Path) -> None:
    journal = open_async_journal(f"sqlite:///{tmp_path / 'j.db'}")
    assert journal is not None
    await journal.claim(entry("x"))
    await journal.aclose()
    for name in ("j.db", "j.db-wal", "j.db-shm"):
        if (tmp_path / name).exists():
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
