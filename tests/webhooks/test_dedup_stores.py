"""``EventDeduplicator(store=...)``: event ids shared by processes, on SQLite, Redis and
PostgreSQL (real servers).

The proof: two receiver processes each get every one of N signed events three times (each
delivery with its own ``Webhook-Event-ID``, in its own shuffled order, at the same time), verify
and unwrap them, and handle an event only when ``first_time`` says so; some handlers fail once
and release the event. Every event is then handled successfully exactly once. Default run:
N = 200 on SQLite and Redis; ``slow``: N = 1,000 on SQLite, Redis and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from qbank_connect.errors import QBankStoreUnavailableError, QBankStoreURLError
from qbank_connect.webhooks import EventDeduplicator, unwrap

from ..servers import free_port
from .webhook_samples import NOW, SECRET, event_body, headers_for

WAIT = 300


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    return str(request.getfixturevalue(f"{kind}_url"))


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, request, tmp_path)


@pytest.fixture
def dedup(url: str) -> Any:
    dedup = EventDeduplicator(store=url)
    yield dedup
    dedup.close()


def test_first_time_release_seen_clear(dedup: EventDeduplicator) -> None:
    assert dedup.first_time("evt_1")
    assert not dedup.first_time("evt_1")
    assert dedup.seen("evt_1") and not dedup.seen("evt_2")
    dedup.release("evt_1")  # the handler failed: the redelivery is handled
    assert not dedup.seen("evt_1")
    assert dedup.first_time("evt_1")
    assert dedup.first_time("evt_2")
    assert len(dedup) == 2
    dedup.release("evt_never")  # nothing to release: no error
    dedup.clear()
    assert len(dedup) == 0 and dedup.first_time("evt_1")


def test_a_second_deduplicator_on_the_same_store_sees_the_ids(url: str) -> None:
    one, two = EventDeduplicator(store=url), EventDeduplicator(store=url)
    try:
        assert one.first_time("evt_shared")
        assert not two.first_time("evt_shared")
        assert two.seen("evt_shared")
    finally:
        one.close()
        two.close()


def test_threads_racing_for_one_event_claim_it_once(dedup: EventDeduplicator) -> None:
    barrier = threading.Barrier(16)
    wins: list[bool] = []

    def claim() -> None:
        barrier.wait(30)
        wins.append(dedup.first_time("evt_race"))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 15 + [True]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_entries_expire_after_ttl_on_the_wall_clock(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    now = [1_000_000.0]
    dedup = EventDeduplicator(store=store_url(kind, request, tmp_path), clock=lambda: now[0])
    try:
        assert dedup.first_time("evt_old")
        dedup.done("evt_old")  # handled: kept for ttl from now
        now[0] += 72 * 3600 - 1
        assert not dedup.first_time("evt_old")  # default retention: 72 hours
        now[0] += 2
        assert not dedup.seen("evt_old")
        assert dedup.first_time("evt_old")
    finally:
        dedup.close()


def test_redis_entries_live_72_hours_by_default(redis_url: str) -> None:
    import redis

    dedup = EventDeduplicator(store=redis_url)
    try:
        assert dedup.first_time("evt_ttl")
        dedup.done("evt_ttl")
        with redis.Redis.from_url(redis_url) as client:
            ttl_ms = client.pttl("qbank-webhook:evt_ttl")
        assert timedelta(hours=71) < timedelta(milliseconds=ttl_ms) <= timedelta(hours=72)
    finally:
        dedup.close()


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["redis:/cache", "mongodb://x/y", "sqlite:///:memory:"])
def test_malformed_store_urls_fail_at_construction(bad: str) -> None:
    with pytest.raises(QBankStoreURLError, match="store"):
        EventDeduplicator(store=bad)


def test_a_store_must_be_a_url_or_a_store_object() -> None:
    with pytest.raises(TypeError, match="claim/release/seen/clear"):
        EventDeduplicator(store=42)  # type: ignore[arg-type]


@pytest.mark.parametrize("scheme", ["redis", "postgresql"])
def test_an_unreachable_store_is_a_named_error(scheme: str) -> None:
    dedup = EventDeduplicator(store=f"{scheme}://u:hunter2@127.0.0.1:{free_port()}/0")
    with pytest.raises(QBankStoreUnavailableError) as caught:
        dedup.first_time("evt_1")
    assert "hunter2" not in str(caught.value)


def test_a_corrupt_sqlite_store_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    path.write_bytes(b"\x01corrupt" * 512)
    path.chmod(0o600)
    dedup = EventDeduplicator(store=f"sqlite:///{path}")
    with pytest.raises(QBankStoreUnavailableError, match="not a SQLite database"):
        dedup.first_time("evt_1")


# -- two receiver processes --------------------------------------------------------------------


def _receiver(
    number: int, url: str, events: int, go: Event, results: multiprocessing.Queue[Any]
) -> None:
    try:
        deliveries = [
            (event_body(f"evt_{i:05d}"), f"whd_{number}_{i}_{copy}")
            for i in range(events)
            for copy in range(3)
        ]
        random.Random(number).shuffle(deliveries)
        dedup = EventDeduplicator(store=url)
        handled: list[str] = []
        failed_once: set[str] = set()
        answers: Counter[int] = Counter()
        results.put(("ready", number))
        go.wait(WAIT)
        for body, delivery_id in deliveries:
            event = unwrap(body, headers_for(body, delivery_id=delivery_id), SECRET, now=NOW)
            if not dedup.first_time(event):
                answers[200] += 1  # already handled (or being handled): acknowledge
                continue
            try:
                # Every 7th event's handler fails the first time this receiver runs it.
                if int(event.id[4:]) % 7 == 0 and event.id not in failed_once:
                    failed_once.add(event.id)
                    raise RuntimeError("the handler failed")
                handled.append(event.id)
                answers[200] += 1
            except RuntimeError:
                dedup.release(event)  # answer 500: QBank's next delivery is processed
                answers[500] += 1
                continue
            dedup.done(event)
        dedup.close()
        results.put(("done", (handled, dict(answers))))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))
        raise


def _collect(results: multiprocessing.Queue[Any], tag: str, count: int) -> list[Any]:
    out = []
    for _ in range(count):
        try:
            got, value = results.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{len(out)} of {count} receivers reported {tag!r}") from None
        assert got != "error", value
        assert got == tag, (got, value)
        out.append(value)
    return out


@pytest.mark.parametrize(
    ("kind", "events"),
    [
        ("sqlite", 200),
        ("redis", 200),
        pytest.param("sqlite", 1000, marks=pytest.mark.slow),
        pytest.param("redis", 1000, marks=pytest.mark.slow),
        pytest.param("postgres", 1000, marks=pytest.mark.slow),
    ],
)
def test_two_receivers_given_every_event_three_times_handle_each_once(
    kind: str, events: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = store_url(kind, request, tmp_path)
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results: multiprocessing.Queue[Any] = context.Queue()
    receivers = [
        context.Process(target=_receiver, args=(n, url, events, go, results)) for n in (1, 2)
    ]
    for receiver in receivers:
        receiver.start()
    try:
        _collect(results, "ready", 2)
        go.set()
        done = _collect(results, "done", 2)
    finally:
        go.set()
        for receiver in receivers:
            receiver.join(WAIT)
            if receiver.is_alive():
                receiver.kill()
                receiver.join()
    assert [r.exitcode for r in receivers] == [0, 0]
    handled = Counter(event_id for ids, _ in done for event_id in ids)
    assert len(handled) == events  # none lost
    assert set(handled.values()) == {1}  # none handled twice
    answers = Counter[int]()
    for _, counts in done:
        answers.update(counts)
    assert answers[200] + answers[500] == events * 3 * 2  # every delivery was answered
    assert answers[500] >= 1  # failed handlers released their events, and those were redone


# -- clocks: a PostgreSQL store measures leases and retention on the server's clock -----------

SKEWED_CHILD = """
import sys, time
from datetime import timedelta
from qbank_connect.webhooks import EventDeduplicator
url, event_id = sys.argv[1:3]
with EventDeduplicator(store=url) as dedup:
    print(time.time(), dedup.first_time(event_id), flush=True)
    dedup.done(event_id + "_done_by_skewed_host")
"""


@pytest.mark.parametrize("skew", ["+10m", "-2h"])
def test_a_receiver_with_a_skewed_clock_keeps_the_servers_leases_and_retention(
    postgres_url: str, skew: str
) -> None:
    import psycopg

    from ..exactly_once.fleet import FAKETIME
    from ..servers import missing

    if not FAKETIME.exists():
        missing("libfaketime", "faketime")
    # The library preloaded with its clock in the environment, not the `faketime` wrapper: the
    # wrapper shares a named semaphore per pid, which a SIGKILLed one elsewhere can leave behind.
    env = {**os.environ, "LD_PRELOAD": str(FAKETIME), "FAKETIME": skew, "FAKETIME_NO_CACHE": "1"}
    with EventDeduplicator(store=postgres_url) as dedup:
        assert dedup.first_time("evt_held")  # a 5-minute lease, on the server's clock
        result = subprocess.run(
            [sys.executable, "-c", SKEWED_CHILD, postgres_url, "evt_held"],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        child_time, claimed = result.stdout.split()
        offset = float(child_time) - time.time()
        assert abs(offset) > 500  # the premise: the child's clock is 10 minutes or 2 hours off
        # 10 minutes fast, the child would think the lease long run out; the server says no.
        assert claimed == "False"
        assert dedup.handled("evt_held_done_by_skewed_host")
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT expires_at - extract(epoch from now()) FROM qbank_webhook_events"
            " WHERE event_id = 'evt_held_done_by_skewed_host'"
        ).fetchone()
    assert row is not None
    assert 72 * 3600 - 300 < row[0] <= 72 * 3600  # 72 h on the server's clock, not the child's
