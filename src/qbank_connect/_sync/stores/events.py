# Generated from src/qbank_connect/_async/stores/events.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Webhook de-duplication: :class:`EventDeduplicator` and the stores it keeps event ids in
(memory, SQLite, PostgreSQL, Redis). ``_sync/stores/events.py`` is its blocking twin.

The seam is :class:`EventStore`: ``claim(event_id, lease) -> bool`` (atomic: of any number
of concurrent claims of one id, in any process, exactly one gets True until its lease runs out,
it is released, or, once done, its ``ttl`` runs out), ``done(event_id, ttl)``,
``release(event_id)`` (drops a claim, never a done entry), ``seen``, ``handled``, ``clear``,
``count`` and ``close``. What is stored is the event id (``evt_...``, not a secret), its expiry
and whether it was handled; nothing of the event's body.

===========  ===============================================================================
memory       this process only (``max_entries``, lost on restart); no I/O
SQLite       table ``qbank_webhook_events (event_id, expires_at, handled)``; each call is one
             ``BEGIN IMMEDIATE`` transaction (a claim first deletes the expired rows; on the
             async client in a worker thread). Processes on one host (file ``0600``, WAL).
PostgreSQL   the same table; a claim is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE
             expired RETURNING`` after purging up to 500 expired rows (``SKIP LOCKED``).
Redis        a key ``qbank-webhook:<event_id>``: ``SET NX PX lease`` to claim, ``SET PX ttl``
             when done: Redis expires it (Redis's clock).
===========  ===============================================================================

Example::

    dedup = EventDeduplicator(store="redis://cache.internal:6379/0")
    if dedup.first_time(event):
        handle(event)
        dedup.done(event)
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from ..._stores.events import (
    DEFAULT_LEASE,
    DEFAULT_TTL,
    EVENT_STORE_METHODS,
    Clock,
    MemoryEvents,
    check_max_entries,
    check_seconds,
    event_key,
)
from ..._stores.sqlite import immediate
from ..._stores.urls import StoreURL, parse_store_url
from ...models import WebhookEvent
from .connections import PostgresStore, RedisStore, SQLiteStore

__all__ = [
    "EventDeduplicator",
    "EventStore",
    "EventStoreMethods",
    "MemoryEventStore",
    "PostgresEventStore",
    "RedisEventStore",
    "SQLiteEventStore",
    "open_event_store",
]

_T = TypeVar("_T")


class EventStore(Protocol):
    """Where :class:`EventDeduplicator` keeps event ids: implement it for a store of your own.

    ``claim``, ``release``, ``seen`` and ``clear`` are required. Optional: ``done(event_id,
    ttl)`` (without it the store is one of the first kind: its claim is given ``ttl`` and marks
    the event handled at once), ``handled(event_id) -> bool`` (else ``seen``), ``count() ->
    int`` (else ``len()``).

    Example::

        class TableStore:
            def claim(self, event_id: str, lease: float) -> bool:
                # atomic: INSERT, or take over an entry whose expiry passed; True if ours
                ...

            def done(self, event_id: str, ttl: float) -> None: ...   # handled, for ttl
            def release(self, event_id: str) -> None: ...  # drop an unhandled claim
            def seen(self, event_id: str) -> bool: ...     # claimed or handled, unexpired
            def handled(self, event_id: str) -> bool: ...  # done, unexpired
            def clear(self) -> None: ...
            def count(self) -> int: ...                    # unexpired entries

        dedup = EventDeduplicator(store=TableStore())
    """

    def claim(self, event_id: str, lease: float, /) -> bool:
        """Hold the id for ``lease`` seconds; True unless an unexpired entry exists (atomic)."""
        ...

    def release(self, event_id: str, /) -> None:
        """Drop the id's claim (not a handled entry; no error if absent)."""
        ...

    def seen(self, event_id: str, /) -> bool:
        """Whether the id is claimed or handled (unexpired)."""
        ...

    def clear(self) -> None:
        """Drop every entry."""
        ...


class EventStoreMethods(EventStore, Protocol):
    """Every method the de-duplicator calls: the stores of this module have them all."""

    def done(self, event_id: str, ttl: float, /) -> None:
        """Mark the id handled for ``ttl`` seconds from now (whether or not it is claimed)."""
        ...

    def handled(self, event_id: str, /) -> bool:
        """Whether the id was marked done (unexpired)."""
        ...

    def count(self) -> int:
        """The number of unexpired entries."""
        ...

    def close(self) -> None:
        """Close the store's connections."""
        ...


class MemoryEventStore:
    """Event ids in this process's memory (no I/O, thread-safe), the oldest dropped beyond
    ``max_entries``."""

    def __init__(self, max_entries: int = 10_000, *, clock: Clock = time.monotonic) -> None:
        self.events = MemoryEvents(check_max_entries(max_entries), clock)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} max_entries={self.events.max_entries}>"

    def claim(self, event_id: str, lease: float) -> bool:
        return self.events.claim(event_id, lease)

    def done(self, event_id: str, ttl: float) -> None:
        self.events.done(event_id, ttl)

    def release(self, event_id: str) -> None:
        self.events.release(event_id)

    def seen(self, event_id: str) -> bool:
        return self.events.seen(event_id)

    def handled(self, event_id: str) -> bool:
        return self.events.handled(event_id)

    def clear(self) -> None:
        self.events.clear()

    def count(self) -> int:
        return self.events.count()

    def close(self) -> None:
        pass


_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS qbank_webhook_events ("
    " event_id TEXT PRIMARY KEY, expires_at {real} NOT NULL, handled {bool} NOT NULL);"
    " CREATE INDEX IF NOT EXISTS qbank_webhook_events_expiry"
    " ON qbank_webhook_events (expires_at);"
)


class SQLiteEventStore:
    """Event ids in a SQLite file shared by the processes of one host (``clock``: wall clock)."""

    def __init__(self, url: StoreURL | str, *, clock: Clock = time.time) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="store")
        self.store = SQLiteStore(url, schema=_TABLE_SQL.format(real="REAL", bool="INTEGER"))
        self._clock = clock
        self._upgraded = 0  # the pid that checked the table's columns

    def _run(self, function: Callable[..., _T], *args: Any) -> _T:
        if self._upgraded != os.getpid():
            self.store.run(_sqlite_upgrade)
            self._upgraded = os.getpid()
        return self.store.run(function, *args)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def claim(self, event_id: str, lease: float) -> bool:
        return self._run(_sqlite_claim, event_id, self._clock(), lease)

    def done(self, event_id: str, ttl: float) -> None:
        self._run(_sqlite_done, event_id, self._clock() + ttl)

    def release(self, event_id: str) -> None:
        self._run(
            _sqlite_write,
            "DELETE FROM qbank_webhook_events WHERE event_id = ? AND handled = 0",
            event_id,
        )

    def seen(self, event_id: str) -> bool:
        return bool(
            self._run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events WHERE event_id = ? AND expires_at > ?",
                event_id,
                self._clock(),
            )
        )

    def handled(self, event_id: str) -> bool:
        return bool(
            self._run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events"
                " WHERE event_id = ? AND expires_at > ? AND handled = 1",
                event_id,
                self._clock(),
            )
        )

    def clear(self) -> None:
        self._run(_sqlite_write, "DELETE FROM qbank_webhook_events")

    def count(self) -> int:
        return int(
            self._run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events WHERE expires_at > ?",
                self._clock(),
            )
        )

    def close(self) -> None:
        self.store.close()


def _sqlite_upgrade(conn: sqlite3.Connection) -> None:
    # A table of 0.2.0 has no `handled` column; its entries were all marked handled on claim.
    with immediate(conn):
        columns = {row[1] for row in conn.execute("PRAGMA table_info(qbank_webhook_events)")}
        if "handled" not in columns:
            conn.execute(
                "ALTER TABLE qbank_webhook_events ADD COLUMN handled INTEGER NOT NULL DEFAULT 1"
            )


def _sqlite_claim(conn: sqlite3.Connection, event_id: str, now: float, lease: float) -> bool:
    with immediate(conn):
        conn.execute("DELETE FROM qbank_webhook_events WHERE expires_at <= ?", (now,))
        cursor = conn.execute(
            "INSERT INTO qbank_webhook_events (event_id, expires_at, handled) VALUES (?, ?, 0)"
            " ON CONFLICT (event_id) DO NOTHING",
            (event_id, now + lease),
        )
        return cursor.rowcount == 1


def _sqlite_done(conn: sqlite3.Connection, event_id: str, expires_at: float) -> None:
    with immediate(conn):
        conn.execute(
            "INSERT INTO qbank_webhook_events (event_id, expires_at, handled) VALUES (?, ?, 1)"
            " ON CONFLICT (event_id) DO UPDATE SET expires_at = excluded.expires_at, handled = 1",
            (event_id, expires_at),
        )


def _sqlite_write(conn: sqlite3.Connection, sql: str, *params: Any) -> None:
    with immediate(conn):
        conn.execute(sql, params)


def _sqlite_value(conn: sqlite3.Connection, sql: str, *params: Any) -> Any:
    return conn.execute(sql, params).fetchone()[0]


_PURGE_BATCH = 500

# In the SQL below, "now" is coalesce(%s, <the statement's time on the PostgreSQL server>):
# the parameter is the test clock's time, or NULL.


class PostgresEventStore:
    """Event ids in a PostgreSQL table shared by every host. Leases and retention are measured
    on the PostgreSQL server's clock, which every receiver shares (``clock``, wall-clock
    seconds, replaces it: for tests)."""

    def __init__(self, url: StoreURL | str, *, clock: Clock | None = None) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="store")
        schema = _TABLE_SQL.format(real="double precision", bool="boolean") + (
            # A table of 0.2.0 has no `handled` column; its entries were all handled on claim.
            " ALTER TABLE qbank_webhook_events"
            " ADD COLUMN IF NOT EXISTS handled boolean NOT NULL DEFAULT true;"
        )
        self.store = PostgresStore(url, schema=schema, purpose="EventDeduplicator")
        self._clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def _now(self) -> float | None:
        """The test clock's time, or None: the SQL's ``coalesce`` then takes the server's."""
        return None if self._clock is None else self._clock()

    def claim(self, event_id: str, lease: float) -> bool:
        now = self._now()
        with self.store.connection() as conn:
            # Expired rows go a batch at a time, skipping rows another claim is deleting.
            conn.execute(
                "DELETE FROM qbank_webhook_events WHERE event_id IN ("
                " SELECT event_id FROM qbank_webhook_events"
                " WHERE expires_at <= coalesce(%s::float8, extract(epoch from statement_timestamp()))"
                " ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED)",
                (now, _PURGE_BATCH),
            )
            cursor = conn.execute(
                "INSERT INTO qbank_webhook_events AS e (event_id, expires_at, handled)"
                " VALUES (%s, coalesce(%s::float8, extract(epoch from statement_timestamp())) + %s, false)"
                " ON CONFLICT (event_id) DO UPDATE"
                " SET expires_at = excluded.expires_at, handled = false"
                " WHERE e.expires_at <= coalesce(%s::float8, extract(epoch from statement_timestamp()))"
                " RETURNING 1",
                (event_id, now, lease, now),
            )
            row = cursor.fetchone()
        return row is not None

    def done(self, event_id: str, ttl: float) -> None:
        with self.store.connection() as conn:
            conn.execute(
                "INSERT INTO qbank_webhook_events (event_id, expires_at, handled)"
                " VALUES (%s, coalesce(%s::float8, extract(epoch from statement_timestamp())) + %s, true)"
                " ON CONFLICT (event_id) DO UPDATE"
                " SET expires_at = excluded.expires_at, handled = true",
                (event_id, self._now(), ttl),
            )

    def release(self, event_id: str) -> None:
        with self.store.connection() as conn:
            conn.execute(
                "DELETE FROM qbank_webhook_events WHERE event_id = %s AND NOT handled",
                (event_id,),
            )

    def seen(self, event_id: str) -> bool:
        with self.store.connection() as conn:
            cursor = conn.execute(
                "SELECT 1 FROM qbank_webhook_events WHERE event_id = %s"
                " AND expires_at > coalesce(%s::float8, extract(epoch from statement_timestamp()))",
                (event_id, self._now()),
            )
            row = cursor.fetchone()
        return row is not None

    def handled(self, event_id: str) -> bool:
        with self.store.connection() as conn:
            cursor = conn.execute(
                "SELECT 1 FROM qbank_webhook_events"
                " WHERE event_id = %s AND handled"
                " AND expires_at > coalesce(%s::float8, extract(epoch from statement_timestamp()))",
                (event_id, self._now()),
            )
            row = cursor.fetchone()
        return row is not None

    def clear(self) -> None:
        with self.store.connection() as conn:
            conn.execute("DELETE FROM qbank_webhook_events")

    def count(self) -> int:
        with self.store.connection() as conn:
            conn.execute(
                "DELETE FROM qbank_webhook_events"
                " WHERE expires_at <= coalesce(%s::float8, extract(epoch from statement_timestamp()))",
                (self._now(),),
            )
            cursor = conn.execute("SELECT count(*) FROM qbank_webhook_events")
            row = cursor.fetchone()
        return int(row[0]) if row is not None else 0

    def close(self) -> None:
        self.store.close()


_CLAIMED = b"claimed"
_HANDLED = b"handled"
# Deletes the key only while it is a claim (a handled entry stays).
_REDIS_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class RedisEventStore:
    """Event ids as Redis keys that expire by themselves (Redis's clock, not ``clock``)."""

    prefix = "qbank-webhook:"

    def __init__(self, url: StoreURL | str) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="store")
        self.store = RedisStore(url, purpose="EventDeduplicator")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client: Any = self.store.client()
        try:
            return getattr(client, method)(*args, **kwargs)
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    def claim(self, event_id: str, lease: float) -> bool:
        px = max(int(lease * 1000), 1)
        return bool(self._call("set", self.prefix + event_id, _CLAIMED, nx=True, px=px))

    def done(self, event_id: str, ttl: float) -> None:
        self._call("set", self.prefix + event_id, _HANDLED, px=max(int(ttl * 1000), 1))

    def release(self, event_id: str) -> None:
        self._call("eval", _REDIS_RELEASE, 1, self.prefix + event_id, _CLAIMED)

    def seen(self, event_id: str) -> bool:
        return bool(self._call("exists", self.prefix + event_id))

    def handled(self, event_id: str) -> bool:
        value = self._call("get", self.prefix + event_id)
        return value is not None and bytes(value) != _CLAIMED  # b"1": an entry of 0.2.0

    def _keys(self) -> list[bytes]:
        client: Any = self.store.client()
        try:
            return [key for key in client.scan_iter(match=self.prefix + "*", count=1000)]
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    def clear(self) -> None:
        keys = self._keys()
        for start in range(0, len(keys), 1000):
            self._call("delete", *keys[start : start + 1000])

    def count(self) -> int:
        return len(self._keys())

    def close(self) -> None:
        self.store.close()


def open_event_store(value: str, *, clock: Clock | None = None) -> EventStoreMethods:
    """The store a URL names (checked before any I/O); ``clock`` (wall-clock seconds) replaces
    the SQLite host's and the PostgreSQL server's clock, for tests.

    Example::

        store = open_event_store("sqlite:///events.db")
    """
    url = parse_store_url(value, argument="store")
    if url.kind == "sqlite":
        return SQLiteEventStore(url, clock=clock or time.time)
    if url.kind == "postgresql":
        return PostgresEventStore(url, clock=clock)
    return RedisEventStore(url)


class GivenEventStore:
    """A store object the caller gave: the optional methods filled in."""

    def __init__(self, store: Any, ttl: float) -> None:
        self.store = store
        self._ttl = ttl
        self._first_kind = not callable(getattr(store, "done", None))

    def __repr__(self) -> str:
        return repr(self.store)

    def claim(self, event_id: str, lease: float) -> bool:
        # A store of the first kind has no `done`: its claim marks the event handled for ttl.
        result: bool = self.store.claim(event_id, self._ttl if self._first_kind else lease)
        return result

    def done(self, event_id: str, ttl: float) -> None:
        if not self._first_kind:
            self.store.done(event_id, ttl)

    def release(self, event_id: str) -> None:
        self.store.release(event_id)

    def seen(self, event_id: str) -> bool:
        result: bool = self.store.seen(event_id)
        return result

    def handled(self, event_id: str) -> bool:
        if callable(getattr(self.store, "handled", None)):
            result: bool = self.store.handled(event_id)
            return result
        return self.seen(event_id)

    def clear(self) -> None:
        self.store.clear()

    def count(self) -> int:
        if callable(getattr(self.store, "count", None)):
            result: int = self.store.count()
            return result
        return len(self.store)

    def close(self) -> None:
        pass  # the caller's store is the caller's to close


class EventDeduplicator:
    """Handles each webhook event once although QBank delivers it at least once.

    QBank retries a delivery that was not answered 2xx for 72 hours; a retried event has a new
    ``Webhook-Event-ID`` header but the same body ``id``, which is the key used here.
    :meth:`first_time` takes a *lease* on the event (``lease``, default 5 minutes: longer than
    your handler); :meth:`done` marks it handled, remembered for ``ttl`` (default 72 hours,
    QBank's retry window); :meth:`release` gives it back after a failed handler. A claim whose
    lease ran out (its receiver was killed mid-handler) is handed to the next delivery, so the
    event is not lost. Answer a delivery that :meth:`first_time` refused with 200 only if
    :meth:`handled` says so; otherwise (another receiver holds it right now) answer 409, so
    QBank retries it should that receiver die.

    ``store`` is where the ids live: without it, this process's memory (the oldest dropped
    beyond ``max_entries``, all lost on restart); ``"sqlite:///dedup.db"`` (processes on one
    host), ``"postgresql://..."`` or ``"redis://..."`` share them between processes: a claim
    is atomic in the store. On the async de-duplicator SQLite runs in worker threads and
    PostgreSQL and Redis on their asyncio clients (on trio these two raise
    ``QBankStoreError``). Any object with the methods of :class:`EventStore` works as a
    store. Leases and retention are measured on the clock the receivers share: the host's
    for memory and SQLite, the PostgreSQL server's, the Redis server's. ``clock`` replaces the
    first three, for tests (wall-clock seconds; ``time.monotonic`` for memory).

    Example::

        dedup = EventDeduplicator(store="redis://cache.internal:6379/0")

        event = client.webhooks.unwrap(body, headers)
        if not dedup.first_time(event):
            return 200 if dedup.handled(event) else 409
        try:
            handle(event)
        except Exception:
            dedup.release(event)   # answer 500: QBank's redelivery is handled
            raise
        dedup.done(event)
        return 200
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl: float | timedelta = DEFAULT_TTL,
        *,
        lease: float | timedelta = DEFAULT_LEASE,
        clock: Clock | None = None,
        store: str | EventStore | None = None,
    ) -> None:
        self._max_entries = check_max_entries(max_entries)
        self._ttl = check_seconds(ttl, "ttl")
        self._lease = check_seconds(lease, "lease")
        self._owned = isinstance(store, str)
        self._store: EventStoreMethods
        if store is None:
            self._store = MemoryEventStore(max_entries, clock=clock or time.monotonic)
        elif isinstance(store, str):
            self._store = open_event_store(store, clock=clock)
        elif all(callable(getattr(store, m, None)) for m in EVENT_STORE_METHODS):
            self._store = GivenEventStore(store, self._ttl)
        else:
            raise TypeError(
                "store must be a store URL (sqlite:///..., postgresql://..., redis://...) or an "
                f"object with claim/release/seen/clear methods, not {type(store).__name__}"
            )

    def __repr__(self) -> str:
        lease = "" if self._lease == DEFAULT_LEASE.total_seconds() else f", lease={self._lease:g}"
        name = type(self).__name__
        if isinstance(self._store, MemoryEventStore):
            return f"{name}(max_entries={self._max_entries}, ttl={self._ttl:g}{lease})"
        return f"{name}(ttl={self._ttl:g}{lease}, store={self._store!r})"

    def first_time(self, event: WebhookEvent | str) -> bool:
        """Take a lease on the event; True if no other delivery holds it and it was not handled.

        Atomic: of several concurrent deliveries of one event, exactly one gets True. Follow a
        True with :meth:`done` (or :meth:`release` if the handler failed).

        Example::

            if dedup.first_time(event):
                handle(event)
                dedup.done(event)
        """
        return self._store.claim(event_key(event), self._lease)

    def done(self, event: WebhookEvent | str) -> None:
        """Mark the event handled: deliveries of it in the next ``ttl`` are not handled again.

        Example::

            handle(event)
            dedup.done(event)
        """
        self._store.done(event_key(event), self._ttl)

    def release(self, event: WebhookEvent | str) -> None:
        """Give the event back after its handler failed, so that QBank's redelivery is handled.

        Releasing an event that is not claimed, or was marked done, does nothing.

        Example::

            if dedup.first_time(event):
                try:
                    handle(event)
                except Exception:
                    dedup.release(event)  # answer 500: the retry is processed
                    raise
                dedup.done(event)
        """
        self._store.release(event_key(event))

    def forget(self, event: WebhookEvent | str) -> None:
        """Same as :meth:`release` (its first name, kept for existing code).

        Example::

            dedup.forget(event)
        """
        self.release(event)

    def seen(self, event: WebhookEvent | str) -> bool:
        """Whether the event is claimed (its lease running) or handled; records nothing.

        Example::

            if dedup.seen(event):
                return 200 if dedup.handled(event) else 409
        """
        return self._store.seen(event_key(event))

    def handled(self, event: WebhookEvent | str) -> bool:
        """Whether the event was marked :meth:`done` (within ``ttl``).

        Example::

            if not dedup.first_time(event):
                return 200 if dedup.handled(event) else 409  # 409: being handled
        """
        return self._store.handled(event_key(event))

    def clear(self) -> None:
        """Forget every event.

        Example::

            dedup.clear()
            assert dedup.count() == 0
        """
        self._store.clear()

    def count(self) -> int:
        """How many events are claimed or handled (unexpired).

        Example::

            dedup.count()
        """
        return self._store.count()

    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return True  # a de-duplicator is never "empty" in `if dedup:` (and costs no I/O there)

    def close(self) -> None:
        """Close the store's connections if it was opened from a URL.

        Example::

            dedup = EventDeduplicator(store="redis://cache:6379/0")
            ...
            dedup.close()
        """
        if self._owned:
            self._store.close()

    def __enter__(self) -> EventDeduplicator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
