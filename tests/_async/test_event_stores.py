"""Webhook de-duplication with leases, on every store (memory, SQLite, and real PostgreSQL and
Redis servers), for the async de-duplicator (asyncio and trio) and its blocking twin.

``first_time`` takes a lease; ``done`` marks the event handled for ``ttl``; ``release`` gives a
claim back (never a handled entry); a claim whose lease ran out is handed to the next delivery;
expired rows are purged; a store object of your own works through the seam; a table written by
0.2.0 (no ``handled`` column) keeps its events handled."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import sniffio

from qbank_connect._concurrency import async_sleep
from qbank_connect.errors import QBankStoreError
from qbank_connect.webhooks import AsyncEventDeduplicator

from ..concurrency import gather_async

pytestmark = pytest.mark.anyio

LEASE = 300.0
TTL = 72 * 3600.0


def running_trio() -> bool:
    try:
        return sniffio.current_async_library() == "trio"
    except Exception:  # no event loop: the blocking twin
        return False


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if kind == "memory":
        return None
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    if running_trio():
        pytest.skip("psycopg and redis-py async need asyncio (see test_trio_names_the_limit)")
    return str(request.getfixturevalue(f"{kind}_url"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str | None, Clock]:
    """A store whose clock the test moves (Redis keeps its own: see the Redis tests)."""
    return store_url(request.param, request, tmp_path), Clock()


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    return store_url(request.param, request, tmp_path)


async def test_a_lease_that_ran_out_is_handed_to_the_next_delivery(
    clocked: tuple[str | None, Clock],
) -> None:
    url, clock = clocked
    async with AsyncEventDeduplicator(store=url, clock=clock, lease=LEASE) as dedup:
        assert await dedup.first_time("evt_1")  # receiver A takes it ... and is killed
        assert not await dedup.first_time("evt_1")  # B, during A's lease: not handled twice
        assert await dedup.seen("evt_1") and not await dedup.handled("evt_1")
        clock.now += LEASE - 1
        assert not await dedup.first_time("evt_1")
        clock.now += 2  # A's lease ran out: the event is not lost
        assert not await dedup.seen("evt_1")
        assert await dedup.first_time("evt_1")
        await dedup.done("evt_1")
        assert await dedup.handled("evt_1")
        clock.now += TTL - 1  # handled: every delivery inside the retention is a duplicate
        assert not await dedup.first_time("evt_1")
        assert await dedup.handled("evt_1")
        await dedup.release("evt_1")  # a stale holder's release never undoes `done`
        assert await dedup.handled("evt_1")
        clock.now += 2
        assert not await dedup.seen("evt_1")
        assert await dedup.first_time("evt_1")


async def test_ttl_counts_from_done_not_from_the_claim(clocked: tuple[str | None, Clock]) -> None:
    url, clock = clocked
    async with AsyncEventDeduplicator(store=url, clock=clock, ttl=100, lease=50) as dedup:
        assert await dedup.first_time("evt_slow")
        clock.now += 40  # a slow handler
        await dedup.done("evt_slow")
        clock.now += 99  # 139 s after the claim, 99 s after done
        assert await dedup.handled("evt_slow")
        assert not await dedup.first_time("evt_slow")


async def test_release_done_seen_handled_clear_count(url: str | None) -> None:
    async with AsyncEventDeduplicator(store=url) as dedup:
        assert await dedup.first_time("evt_1")
        await dedup.release("evt_1")  # the handler failed: the redelivery is handled
        assert not await dedup.seen("evt_1")
        assert await dedup.first_time("evt_1")
        await dedup.done("evt_1")
        assert await dedup.first_time("evt_2")
        await dedup.forget("evt_2")
        await dedup.release("evt_never")  # nothing to release: no error
        await dedup.done("evt_3")  # done without a claim (e.g. handled by other means)
        assert await dedup.handled("evt_3") and not await dedup.first_time("evt_3")
        assert await dedup.count() == 2
        await dedup.clear()
        assert await dedup.count() == 0 and await dedup.first_time("evt_1")


async def test_concurrent_claims_of_one_event_win_once(url: str | None) -> None:
    async with AsyncEventDeduplicator(store=url) as dedup:

        async def claim() -> bool:
            return await dedup.first_time("evt_race")

        wins = await gather_async([claim] * 12)
        assert sorted(wins) == [False] * 11 + [True]


async def test_redis_leases_and_retention_expire_on_redis_clock(redis_url: str) -> None:
    if running_trio():
        pytest.skip("redis-py async needs asyncio")
    import redis

    async with (
        AsyncEventDeduplicator(store=redis_url, lease=0.3) as short,
        AsyncEventDeduplicator(store=redis_url) as other,
    ):
        assert await short.first_time("evt_r")  # a receiver killed mid-handler
        assert not await other.first_time("evt_r")
        deadline = time.monotonic() + 30
        while not await other.first_time("evt_r"):  # handed on once the 0.3 s lease ran out
            assert time.monotonic() < deadline, "the lease never ran out"
            await async_sleep(0.05)
        with redis.Redis.from_url(redis_url) as client:
            assert client.get("qbank-webhook:evt_r") == b"claimed"
            assert 0 < client.pttl("qbank-webhook:evt_r") <= LEASE * 1000  # default 5 minutes
            await other.done("evt_r")
            assert client.get("qbank-webhook:evt_r") == b"handled"
            assert TTL * 1000 - 60_000 < client.pttl("qbank-webhook:evt_r") <= TTL * 1000
        assert await other.handled("evt_r") and not await short.first_time("evt_r")


def table_rows(url: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.partition("://")[2][1:])) as conn, conn:
            return conn.execute("SELECT event_id, handled FROM qbank_webhook_events").fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT event_id, handled FROM qbank_webhook_events").fetchall()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_expired_rows_are_purged_from_the_table(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = store_url(kind, request, tmp_path)
    assert url is not None
    clock = Clock()
    async with AsyncEventDeduplicator(store=url, clock=clock, ttl=100, lease=10) as dedup:
        for number in range(50):
            assert await dedup.first_time(f"evt_{number}")
            if number % 2:
                await dedup.done(f"evt_{number}")
        assert len(table_rows(url)) == 50
        clock.now += 11  # the 25 unhandled claims' leases ran out
        assert await dedup.first_time("evt_new")
        assert len(table_rows(url)) == 26
        clock.now += 100  # and the handled ones' retention
        assert await dedup.first_time("evt_newer")
        assert [row[0] for row in table_rows(url)] == ["evt_newer"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_table_written_by_0_2_0_keeps_its_events_handled(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = store_url(kind, request, tmp_path)
    assert url is not None
    old = "CREATE TABLE qbank_webhook_events (event_id TEXT PRIMARY KEY, expires_at {} NOT NULL)"
    row = ("evt_before_upgrade", time.time() + 3600)
    if kind == "sqlite":
        with contextlib.closing(sqlite3.connect(url.partition("://")[2][1:])) as conn, conn:
            conn.execute(old.format("REAL"))
            conn.execute("INSERT INTO qbank_webhook_events VALUES (?, ?)", row)
        Path(url.partition("://")[2][1:]).chmod(0o600)
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            conn.execute(old.format("double precision"))
            conn.execute("INSERT INTO qbank_webhook_events VALUES (%s, %s)", row)
    async with AsyncEventDeduplicator(store=url) as dedup:
        assert await dedup.handled("evt_before_upgrade")
        assert not await dedup.first_time("evt_before_upgrade")
        assert await dedup.first_time("evt_after_upgrade")
        assert not await dedup.handled("evt_after_upgrade")


class OwnStore:
    """A store of your own, through the seam (here a dict; yours would be your database)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, bool]] = {}
        self.calls: list[tuple[str, str, float]] = []

    def _live(self, event_id: str) -> tuple[float, bool] | None:
        entry = self.entries.get(event_id)
        return entry if entry is not None and entry[0] > time.time() else None

    async def claim(self, event_id: str, lease: float) -> bool:
        self.calls.append(("claim", event_id, lease))
        if self._live(event_id):
            return False
        self.entries[event_id] = (time.time() + lease, False)
        return True

    async def done(self, event_id: str, ttl: float) -> None:
        self.calls.append(("done", event_id, ttl))
        self.entries[event_id] = (time.time() + ttl, True)

    async def release(self, event_id: str) -> None:
        entry = self.entries.get(event_id)
        if entry is not None and not entry[1]:
            del self.entries[event_id]

    async def seen(self, event_id: str) -> bool:
        return self._live(event_id) is not None

    async def handled(self, event_id: str) -> bool:
        entry = self._live(event_id)
        return entry is not None and entry[1]

    async def clear(self) -> None:
        self.entries.clear()

    async def count(self) -> int:
        return sum(1 for e in self.entries if self._live(e))


class FirstKindStore:
    """A store written for 0.2.0: claim(event_id, ttl), no done/handled/count."""

    def __init__(self) -> None:
        self.ids: dict[str, float] = {}

    async def claim(self, event_id: str, ttl: float) -> bool:
        if event_id in self.ids:
            return False
        self.ids[event_id] = ttl
        return True

    async def release(self, event_id: str) -> None:
        self.ids.pop(event_id, None)

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def clear(self) -> None:
        self.ids.clear()

    def __len__(self) -> int:
        return len(self.ids)


async def test_a_store_object_of_your_own_through_the_seam() -> None:
    store = OwnStore()
    async with AsyncEventDeduplicator(store=store, lease=60, ttl=3600) as dedup:
        assert await dedup.first_time("evt_1")
        assert not await dedup.first_time("evt_1")
        assert not await dedup.handled("evt_1")
        await dedup.done("evt_1")
        assert await dedup.handled("evt_1")
        assert await dedup.count() == 1
    assert store.calls[:3] == [
        ("claim", "evt_1", 60.0),
        ("claim", "evt_1", 60.0),
        ("done", "evt_1", 3600.0),
    ]
    assert store.entries  # not cleared or closed: a store you give is yours


async def test_a_store_of_the_first_kind_keeps_working() -> None:
    store = FirstKindStore()
    async with AsyncEventDeduplicator(store=store, ttl=7200) as dedup:
        assert await dedup.first_time("evt_1")
        assert store.ids == {"evt_1": 7200.0}  # claimed for ttl: handled at once, as before
        await dedup.done("evt_1")
        assert await dedup.handled("evt_1") and not await dedup.first_time("evt_1")
        assert await dedup.count() == 1


async def test_trio_names_the_limit(postgres_url: str, redis_url: str) -> None:
    if not running_trio():
        pytest.skip("the limit is trio's")
    for url in (postgres_url, redis_url):
        async with AsyncEventDeduplicator(store=url) as dedup:
            with pytest.raises(QBankStoreError, match="need asyncio"):
                await dedup.first_time("evt_1")
