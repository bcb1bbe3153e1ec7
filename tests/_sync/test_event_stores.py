# Generated from tests/_async/test_event_stores.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
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

from qbank_connect._concurrency import sleep
from qbank_connect.errors import QBankStoreError
from qbank_connect.webhooks import EventDeduplicator

from ..concurrency import gather_threads

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
def clocked(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str | None, Clock]:
    """A store whose clock the test moves (Redis keeps its own: see the Redis tests)."""
    return store_url(request.param, request, tmp_path), Clock()


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    return store_url(request.param, request, tmp_path)


def test_a_lease_that_ran_out_is_handed_to_the_next_delivery(
    clocked: tuple[str | None, Clock],
) -> None:
    url, clock = clocked
    with EventDeduplicator(store=url, clock=clock, lease=LEASE) as dedup:
        assert dedup.first_time("evt_1")  # receiver A takes it ... and is killed
        assert not dedup.first_time("evt_1")  # B, during A's lease: not handled twice
        assert dedup.seen("evt_1") and not dedup.handled("evt_1")
        clock.now += LEASE - 1
        assert not dedup.first_time("evt_1")
        clock.now += 2  # A's lease ran out: the event is not lost
        assert not dedup.seen("evt_1")
        assert dedup.first_time("evt_1")
        dedup.done("evt_1")
        assert dedup.handled("evt_1")
        clock.now += TTL - 1  # handled: every delivery inside the retention is a duplicate
        assert not dedup.first_time("evt_1")
        assert dedup.handled("evt_1")
        dedup.release("evt_1")  # a stale holder's release never undoes `done`
        assert dedup.handled("evt_1")
        clock.now += 2
        assert not dedup.seen("evt_1")
        assert dedup.first_time("evt_1")


def test_ttl_counts_from_done_not_from_the_claim(clocked: tuple[str | None, Clock]) -> None:
    url, clock = clocked
    with EventDeduplicator(store=url, clock=clock, ttl=100, lease=50) as dedup:
        assert dedup.first_time("evt_slow")
        clock.now += 40  # a slow handler
        dedup.done("evt_slow")
        clock.now += 99  # 139 s after the claim, 99 s after done
        assert dedup.handled("evt_slow")
        assert not dedup.first_time("evt_slow")


def test_release_done_seen_handled_clear_count(url: str | None) -> None:
    with EventDeduplicator(store=url) as dedup:
        assert dedup.first_time("evt_1")
        dedup.release("evt_1")  # the handler failed: the redelivery is handled
        assert not dedup.seen("evt_1")
        assert dedup.first_time("evt_1")
        dedup.done("evt_1")
        assert dedup.first_time("evt_2")
        dedup.forget("evt_2")
        dedup.release("evt_never")  # nothing to release: no error
        dedup.done("evt_3")  # done without a claim (e.g. handled by other means)
        assert dedup.handled("evt_3") and not dedup.first_time("evt_3")
        assert dedup.count() == 2
        dedup.clear()
        assert dedup.count() == 0 and dedup.first_time("evt_1")


def test_concurrent_claims_of_one_event_win_once(url: str | None) -> None:
    with EventDeduplicator(store=url) as dedup:

        def claim() -> bool:
            return dedup.first_time("evt_race")

        wins = gather_threads([claim] * 12)
        assert sorted(wins) == [False] * 11 + [True]


def test_redis_leases_and_retention_expire_on_redis_clock(redis_url: str) -> None:
    if running_trio():
        pytest.skip("redis-py async needs asyncio")
    import redis

    with (
        EventDeduplicator(store=redis_url, lease=0.3) as short,
        EventDeduplicator(store=redis_url) as other,
    ):
        assert short.first_time("evt_r")  # a receiver killed mid-handler
        assert not other.first_time("evt_r")
        deadline = time.monotonic() + 30
        while not other.first_time("evt_r"):  # handed on once the 0.3 s lease ran out
            assert time.monotonic() < deadline, "the lease never ran out"
            sleep(0.05)
        with redis.Redis.from_url(redis_url) as client:
            assert client.get("qbank-webhook:evt_r") == b"claimed"
            assert 0 < client.pttl("qbank-webhook:evt_r") <= LEASE * 1000  # default 5 minutes
            other.done("evt_r")
            assert client.get("qbank-webhook:evt_r") == b"handled"
            assert TTL * 1000 - 60_000 < client.pttl("qbank-webhook:evt_r") <= TTL * 1000
        assert other.handled("evt_r") and not short.first_time("evt_r")


def table_rows(url: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.partition("://")[2][1:])) as conn, conn:
            return conn.execute("SELECT event_id, handled FROM qbank_webhook_events").fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT event_id, handled FROM qbank_webhook_events").fetchall()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_expired_rows_are_purged_from_the_table(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = store_url(kind, request, tmp_path)
    assert url is not None
    clock = Clock()
    with EventDeduplicator(store=url, clock=clock, ttl=100, lease=10) as dedup:
        for number in range(50):
            assert dedup.first_time(f"evt_{number}")
            if number % 2:
                dedup.done(f"evt_{number}")
        assert len(table_rows(url)) == 50
        clock.now += 11  # the 25 unhandled claims' leases ran out
        assert dedup.first_time("evt_new")
        assert len(table_rows(url)) == 26
        clock.now += 100  # and the handled ones' retention
        assert dedup.first_time("evt_newer")
        assert [row[0] for row in table_rows(url)] == ["evt_newer"]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_table_written_by_0_2_0_keeps_its_events_handled(
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
    with EventDeduplicator(store=url) as dedup:
        assert dedup.handled("evt_before_upgrade")
        assert not dedup.first_time("evt_before_upgrade")
        assert dedup.first_time("evt_after_upgrade")
        assert not dedup.handled("evt_after_upgrade")


class OwnStore:
    """A store of your own, through the seam (here a dict; yours would be your database)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, bool]] = {}
        self.calls: list[tuple[str, str, float]] = []

    def _live(self, event_id: str) -> tuple[float, bool] | None:
        entry = self.entries.get(event_id)
        return entry if entry is not None and entry[0] > time.time() else None

    def claim(self, event_id: str, lease: float) -> bool:
        self.calls.append(("claim", event_id, lease))
        if self._live(event_id):
            return False
        self.entries[event_id] = (time.time() + lease, False)
        return True

    def done(self, event_id: str, ttl: float) -> None:
        self.calls.append(("done", event_id, ttl))
        self.entries[event_id] = (time.time() + ttl, True)

    def release(self, event_id: str) -> None:
        entry = self.entries.get(event_id)
        if entry is not None and not entry[1]:
            del self.entries[event_id]

    def seen(self, event_id: str) -> bool:
        return self._live(event_id) is not None

    def handled(self, event_id: str) -> bool:
        entry = self._live(event_id)
        return entry is not None and entry[1]

    def clear(self) -> None:
        self.entries.clear()

    def count(self) -> int:
        return sum(1 for e in self.entries if self._live(e))


class FirstKindStore:
    """A store written for 0.2.0: claim(event_id, ttl), no done/handled/count."""

    def __init__(self) -> None:
        self.ids: dict[str, float] = {}

    def claim(self, event_id: str, ttl: float) -> bool:
        if event_id in self.ids:
            return False
        self.ids[event_id] = ttl
        return True

    def release(self, event_id: str) -> None:
        self.ids.pop(event_id, None)

    def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    def clear(self) -> None:
        self.ids.clear()

    def __len__(self) -> int:
        return len(self.ids)


def test_a_store_object_of_your_own_through_the_seam() -> None:
    store = OwnStore()
    with EventDeduplicator(store=store, lease=60, ttl=3600) as dedup:
        assert dedup.first_time("evt_1")
        assert not dedup.first_time("evt_1")
        assert not dedup.handled("evt_1")
        dedup.done("evt_1")
        assert dedup.handled("evt_1")
        assert dedup.count() == 1
    assert store.calls[:3] == [
        ("claim", "evt_1", 60.0),
        ("claim", "evt_1", 60.0),
        ("done", "evt_1", 3600.0),
    ]
    assert store.entries  # not cleared or closed: a store you give is yours


def test_a_store_of_the_first_kind_keeps_working() -> None:
    store = FirstKindStore()
    with EventDeduplicator(store=store, ttl=7200) as dedup:
        assert dedup.first_time("evt_1")
        assert store.ids == {"evt_1": 7200.0}  # claimed for ttl: handled at once, as before
        dedup.done("evt_1")
        assert dedup.handled("evt_1") and not dedup.first_time("evt_1")
        assert dedup.count() == 1


def test_trio_names_the_limit(postgres_url: str, redis_url: str) -> None:
    if not running_trio():
        pytest.skip("the limit is trio's")
    for url in (postgres_url, redis_url):
        with EventDeduplicator(store=url) as dedup:
            with pytest.raises(QBankStoreError, match="need asyncio"):
                dedup.first_time("evt_1")
