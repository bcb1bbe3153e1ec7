"""EventDeduplicator: at-least-once deliveries are handled once, keyed on the body's event id."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from qbank_connect.models import WebhookEvent
from qbank_connect.webhooks import EventDeduplicator, unwrap

from .webhook_samples import NOW, SECRET, event_body, headers_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_event(event_id: str) -> WebhookEvent:
    return WebhookEvent.model_validate_json(event_body(event_id=event_id))


def test_first_time_then_duplicate() -> None:
    dedup = EventDeduplicator()
    event = make_event("evt_1")
    assert not dedup.seen(event)
    assert dedup.first_time(event)
    assert dedup.seen(event)
    assert not dedup.first_time(event)
    assert not dedup.first_time("evt_1")  # the id alone works too
    assert dedup.first_time(make_event("evt_2"))
    assert len(dedup) == 2


def test_seen_does_not_record() -> None:
    dedup = EventDeduplicator()
    assert not dedup.seen("evt_1")
    assert not dedup.seen("evt_1")
    assert dedup.first_time("evt_1")


def test_keyed_on_body_id_not_delivery_id() -> None:
    body = event_body(event_id="evt_same")
    first = unwrap(body, headers_for(body, delivery_id="whd_attempt_1"), SECRET, now=NOW)
    retry = unwrap(body, headers_for(body, delivery_id="whd_attempt_2"), SECRET, now=NOW)
    dedup = EventDeduplicator()
    assert dedup.first_time(first)
    assert not dedup.first_time(retry)


def test_forget_lets_a_retry_be_handled() -> None:
    dedup = EventDeduplicator()
    assert dedup.first_time("evt_1")
    dedup.forget("evt_1")
    dedup.forget("evt_unknown")  # no error
    assert dedup.first_time("evt_1")
    dedup.clear()
    assert len(dedup) == 0


def test_ttl_expiry() -> None:
    clock = FakeClock()
    dedup = EventDeduplicator(ttl=timedelta(hours=72), clock=clock)
    assert dedup.first_time("evt_1")
    dedup.done("evt_1")  # handled: remembered for ttl from now
    clock.now += 72 * 3600 - 1
    assert dedup.seen("evt_1")
    assert not dedup.first_time("evt_1")
    clock.now += 1
    assert not dedup.seen("evt_1")
    assert dedup.first_time("evt_1")
    assert len(dedup) == 1


def test_ttl_in_seconds() -> None:
    clock = FakeClock()
    dedup = EventDeduplicator(ttl=10, clock=clock)
    dedup.first_time("a")
    dedup.done("a")
    clock.now += 5
    dedup.first_time("b")
    dedup.done("b")
    clock.now += 5
    assert not dedup.seen("a")
    assert dedup.seen("b")


def test_max_entries_drops_the_oldest() -> None:
    dedup = EventDeduplicator(max_entries=3)
    for event_id in ("a", "b", "c", "d"):
        assert dedup.first_time(event_id)
    assert len(dedup) == 3
    assert not dedup.seen("a")
    assert all(dedup.seen(e) for e in ("b", "c", "d"))


def test_concurrent_deliveries_exactly_one_wins() -> None:
    dedup = EventDeduplicator()
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def deliver() -> None:
        barrier.wait()
        for i in range(200):
            won = dedup.first_time(f"evt_{i}")
            with lock:
                results.append(won)

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 200
    assert len(results) == 16 * 200


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_entries": 0}, ValueError),
        ({"max_entries": True}, ValueError),
        ({"ttl": 0}, ValueError),
        ({"ttl": -1}, ValueError),
        ({"ttl": float("inf")}, ValueError),
        ({"ttl": "72h"}, TypeError),
        ({"lease": 0}, ValueError),
        ({"lease": float("nan")}, ValueError),
        ({"lease": "5m"}, TypeError),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        EventDeduplicator(**kwargs)


def test_wrong_key_type() -> None:
    with pytest.raises(TypeError):
        EventDeduplicator().first_time(42)  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(EventDeduplicator()) == "EventDeduplicator(max_entries=10000, ttl=259200)"


def test_release_lets_the_redelivery_of_a_failed_event_be_processed() -> None:
    body = event_body(event_id="evt_failed_handler")
    dedup = EventDeduplicator()
    handled: list[str] = []

    def receive(delivery_id: str, *, fail: bool) -> int:
        event = unwrap(body, headers_for(body, delivery_id=delivery_id), SECRET, now=NOW)
        if not dedup.first_time(event):
            return 200
        try:
            if fail:
                raise RuntimeError("the handler's database is down")
            handled.append(event.id)
        except RuntimeError:
            dedup.release(event)
            return 500
        dedup.done(event)
        return 200

    assert receive("whd_attempt_1", fail=True) == 500
    assert not dedup.seen("evt_failed_handler")
    assert receive("whd_attempt_2", fail=False) == 200  # the retry is processed, not skipped
    assert receive("whd_attempt_3", fail=False) == 200  # a later duplicate is skipped
    assert handled == ["evt_failed_handler"]
    dedup.release("evt_never_seen")  # no error
    assert len(dedup) == 1


def test_release_then_claim_restarts_the_lease() -> None:
    clock = FakeClock()
    dedup = EventDeduplicator(lease=10, clock=clock)
    assert dedup.first_time("a")
    clock.now += 8
    dedup.release("a")
    assert dedup.first_time("a")
    clock.now += 8  # 16 s after the first claim, 8 s after the second
    assert dedup.seen("a")
    assert not dedup.first_time("a")
