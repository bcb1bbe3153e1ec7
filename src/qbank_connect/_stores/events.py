"""Webhook de-duplication, the parts without I/O: argument checks, the event key, time math and
the in-memory store (shared by both client trees).

An entry is an event id with an expiry (wall-clock seconds) and a flag: *claimed* (a handler
holds a lease on it until the expiry) or *handled* (``done``: kept until the expiry, ``ttl``
after the handler finished). An expired entry is as good as absent: a claim whose lease ran out
(its receiver was killed mid-handler) is handed to the next delivery.

Example::

    events = MemoryEvents(max_entries=10_000, clock=time.monotonic)
    events.claim("evt_1", lease=300)     # True: handle it
    events.claim("evt_1", lease=300)     # False: another delivery holds it
    events.done("evt_1", ttl=72 * 3600)  # handled: duplicates are acknowledged for 72 h
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Callable
from datetime import timedelta

from ..models import WebhookEvent

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_TTL",
    "EVENT_STORE_METHODS",
    "MemoryEvents",
    "check_max_entries",
    "check_seconds",
    "event_key",
]

DEFAULT_TTL = timedelta(hours=72)
"""How long a handled event is remembered: QBank's retry window."""

DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claim holds an event before another delivery may take it (longer than a handler)."""

EVENT_STORE_METHODS = ("claim", "release", "seen", "clear")
"""What an event store object must have (``done``, ``handled`` and ``count`` are optional: a
store without ``done`` is an older store, whose claim marks the event handled for ``ttl``)."""

Clock = Callable[[], float]


def check_seconds(value: object, name: str) -> float:
    """``value`` (seconds or a ``timedelta``) as positive, finite seconds, or a named error."""
    seconds: object = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be seconds or a timedelta")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be positive and finite")
    return float(seconds)


def check_max_entries(value: object) -> int:
    """``max_entries`` as a positive int, or ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("max_entries must be a positive int")
    return value


def event_key(event: object) -> str:
    """The id de-duplication keys on: the body's ``id`` (not the per-delivery header)."""
    if isinstance(event, WebhookEvent):
        return event.id
    if isinstance(event, str):
        return event
    raise TypeError("pass a WebhookEvent or its id (str)")


class MemoryEvents:
    """Entries in this process's memory (thread-safe, no I/O); the oldest dropped beyond
    ``max_entries``. Same operations as a store: see the module docstring."""

    def __init__(self, max_entries: int, clock: Clock) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, bool]] = {}  # id -> (expiry, handled), in order
        self._expiries: list[tuple[float, str]] = []  # a heap; stale items are skipped
        self._lock = threading.Lock()

    def claim(self, event_id: str, lease: float) -> bool:
        with self._lock:
            now = self._clock()
            self._purge(now)
            if event_id in self._entries:
                return False
            self._set(event_id, now + lease, handled=False)
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]
            return True

    def done(self, event_id: str, ttl: float) -> None:
        with self._lock:
            self._entries.pop(event_id, None)  # to the back: the newest
            self._set(event_id, self._clock() + ttl, handled=True)
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]

    def release(self, event_id: str) -> None:
        with self._lock:
            entry = self._entries.get(event_id)
            if entry is not None and not entry[1]:
                del self._entries[event_id]

    def seen(self, event_id: str) -> bool:
        with self._lock:
            self._purge(self._clock())
            return event_id in self._entries

    def handled(self, event_id: str) -> bool:
        with self._lock:
            self._purge(self._clock())
            entry = self._entries.get(event_id)
            return entry is not None and entry[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._expiries.clear()

    def count(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._entries)

    def _set(self, event_id: str, expires: float, *, handled: bool) -> None:
        self._entries[event_id] = (expires, handled)
        heapq.heappush(self._expiries, (expires, event_id))

    def _purge(self, now: float) -> None:
        heap = self._expiries
        while heap and heap[0][0] <= now:
            expires, event_id = heapq.heappop(heap)
            entry = self._entries.get(event_id)
            if entry is not None and entry[0] == expires:
                del self._entries[event_id]
        if len(heap) > 4 * len(self._entries) + 64:  # drop the stale items of dropped entries
            self._expiries = [(e[0], i) for i, e in self._entries.items()]
            heapq.heapify(self._expiries)
