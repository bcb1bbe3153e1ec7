"""``EventDeduplicator``: handle each event once although QBank delivers it at least once.

The de-duplicator checks its arguments and keys on the event id; where the ids live is a store
with two atomic operations, ``claim(event_id, ttl) -> bool`` and ``release(event_id)`` (plus
``seen``, ``clear`` and ``__len__``). The store today is :class:`_MemoryStore`, in this process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from ..models import WebhookEvent
from ._checks import is_int, is_number

__all__ = ["EventDeduplicator"]


class _EventStore(Protocol):
    def claim(self, event_id: str, ttl: float) -> bool:
        """Record the id for ``ttl`` seconds; True unless it was already recorded (atomic)."""
        ...

    def release(self, event_id: str) -> None:
        """Drop the id (no error if absent), so the next delivery of it is claimed again."""
        ...

    def seen(self, event_id: str) -> bool: ...

    def clear(self) -> None: ...

    def __len__(self) -> int: ...


class _MemoryStore:
    """Ids and their expiry times in a dict, the oldest dropped beyond ``max_entries``."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, event_id: str, ttl: float) -> bool:
        with self._lock:
            now = self._clock()
            self._purge(now)
            if self._expiry.get(event_id, now) > now:
                return False
            self._expiry.pop(event_id, None)  # an expired entry goes to the back again
            self._expiry[event_id] = now + ttl
            while len(self._expiry) > self._max_entries:
                self._expiry.popitem(last=False)
            return True

    def release(self, event_id: str) -> None:
        with self._lock:
            self._expiry.pop(event_id, None)

    def seen(self, event_id: str) -> bool:
        with self._lock:
            now = self._clock()
            self._purge(now)
            return self._expiry.get(event_id, now) > now

    def clear(self) -> None:
        with self._lock:
            self._expiry.clear()

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._expiry)

    def _purge(self, now: float) -> None:
        # With one ttl, insertion order is expiry order: the expired entries are at the front.
        while self._expiry:
            event_id, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[event_id]


class EventDeduplicator:
    """Remembers event ids in memory so a re-delivered event is acknowledged but handled once.

    QBank delivers at least once: a retried event has a new ``Webhook-Event-ID`` header but the
    same body ``id``, which is the key used here. Entries expire after ``ttl`` (default 72 h,
    QBank's retry window) and the oldest are dropped beyond ``max_entries``. Thread-safe; fine to
    call from async code (it never blocks for long).

    The memory is per process and lost on restart. With several workers or processes, use the
    durable pattern instead: in the same database transaction as your side effect, insert
    ``event.id`` into a table with a UNIQUE constraint (or ``INSERT ... ON CONFLICT DO NOTHING``)
    and skip the work when the row already exists; answer 200 either way.

    If handling fails after :meth:`first_time`, call :meth:`release` and answer 500 so QBank's
    retry is handled again.

    Example::

        dedup = EventDeduplicator()

        event = client.webhooks.unwrap(body, headers)
        if dedup.first_time(event):
            try:
                handle(event)
            except Exception:
                dedup.release(event)
                raise
        return 200
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl: float | timedelta = timedelta(hours=72),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not is_int(max_entries) or max_entries < 1:
            raise ValueError("max_entries must be a positive int")
        ttl_seconds: object = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
        if not is_number(ttl_seconds):
            raise TypeError("ttl must be seconds or a timedelta")
        if not math.isfinite(ttl_seconds) or ttl_seconds <= 0:
            raise ValueError("ttl must be positive and finite")
        self._max_entries = max_entries
        self._ttl = float(ttl_seconds)
        self._store: _EventStore = _MemoryStore(max_entries, clock)

    def first_time(self, event: WebhookEvent | str) -> bool:
        """Record the event and return True if it was not seen (within ``ttl``) before.

        Atomic: of several concurrent deliveries of one event, exactly one gets True.

        Example::

            if dedup.first_time(event):
                handle(event)
        """
        return self._store.claim(_event_key(event), self._ttl)

    def seen(self, event: WebhookEvent | str) -> bool:
        """Return True if the event was recorded (within ``ttl``); does not record it.

        Example::

            if dedup.seen(event):
                return 200  # already handled
        """
        return self._store.seen(_event_key(event))

    def release(self, event: WebhookEvent | str) -> None:
        """Drop the event after its handler failed, so that QBank's redelivery is handled.

        Releasing an event that is not recorded does nothing.

        Example::

            if dedup.first_time(event):
                try:
                    handle(event)
                except Exception:
                    dedup.release(event)  # answer 500: the retry is processed
                    raise
        """
        self._store.release(_event_key(event))

    def forget(self, event: WebhookEvent | str) -> None:
        """Same as :meth:`release` (its first name, kept for existing code).

        Example::

            dedup.forget(event)
        """
        self.release(event)

    def clear(self) -> None:
        """Forget every event.

        Example::

            dedup.clear()
            assert len(dedup) == 0
        """
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"EventDeduplicator(max_entries={self._max_entries}, ttl={self._ttl:g})"


def _event_key(event: object) -> str:
    if isinstance(event, WebhookEvent):
        return event.id
    if isinstance(event, str):
        return event
    raise TypeError("pass a WebhookEvent or its id (str)")
