"""Webhook de-duplication: :class:`AsyncEventDeduplicator` and the stores it keeps event ids in
(memory, SQLite, PostgreSQL, Redis). ``_sync/stores/events.py`` is its blocking twin.

The seam is :class:`AsyncEventStore`: ``claim(event_id, lease) -> bool`` (atomic: of any number
of concurrent claims of one id, in any process, exactly one gets True until its lease runs out,
it is released, or, once done, its ``ttl`` runs out), ``done(event_id, ttl)``,
``release(event_id)`` (drops a claim, never a done entry), ``seen``, ``handled``, ``clear``,
``count`` and ``aclose``. What is stored is the event id (``evt_...``, not a secret), its expiry
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

    dedup = AsyncEventDeduplicator(store="redis://cache.internal:6379/0")
    if await dedup.first_time(event):
        await handle(event)
        await dedup.done(event)
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
from .connections import AsyncPostgresStore, AsyncRedisStore, AsyncSQLiteStore

__all__ = [
    "AsyncEventDeduplicator",
    "AsyncEventStore",
    "AsyncEventStoreMethods",
    "AsyncMemoryEventStore",
    "AsyncPostgresEventStore",
    "AsyncRedisEventStore",
    "AsyncSQLiteEventStore",
    "open_async_event_store",
]

_T = TypeVar("_T")


class AsyncEventStore(Protocol):
    """Where :class:`AsyncEventDeduplicator` keeps event ids: implement it for a store of your own.

    ``claim``, ``release``, ``seen`` and ``clear`` are required. Optional: ``done(event_id,
    ttl)`` (without it the store is one of the first kind: its claim is given ``ttl`` and marks
    the event handled at once), ``handled(event_id) -> bool`` (else ``seen``), ``count() ->
    int`` (else ``len()``).

    Example::

        class TableStore:
            async def claim(self, event_id: str, lease: float) -> bool:
                # atomic: INSERT, or take over an entry whose expiry passed; True if ours
                ...

            async def done(self, event_id: str, ttl: float) -> None: ...   # handled, for ttl
            async def release(self, event_id: str) -> None: ...  # drop an unhandled claim
            async def seen(self, event_id: str) -> bool: ...     # claimed or handled, unexpired
            async def handled(self, event_id: str) -> bool: ...  # done, unexpired
            async def clear(self) -> None: ...
            async def count(self) -> int: ...                    # unexpired entries

        dedup = AsyncEventDeduplicator(store=TableStore())
    """

    async def claim(self, event_id: str, lease: float, /) -> bool:
        """Hold the id for ``lease`` seconds; True unless an unexpired entry exists (atomic)."""
        ...

    async def release(self, event_id: str, /) -> None:
        """Drop the id's claim (not a handled entry; no error if absent)."""
        ...

    async def seen(self, event_id: str, /) -> bool:
        """Whether the id is claimed or handled (unexpired)."""
        ...

    async def clear(self) -> None:
        """Drop every entry."""
        ...


class AsyncEventStoreMethods(AsyncEventStore, Protocol):
    """Every method the de-duplicator calls: the stores of this module have them all."""

    async def done(self, event_id: str, ttl: float, /) -> None:
        """Mark the id handled for ``ttl`` seconds from now (whether or not it is claimed)."""
        ...

    async def handled(self, event_id: str, /) -> bool:
        """Whether the id was marked done (unexpired)."""
        ...

    async def count(self) -> int:
        """The number of unexpired entries."""
        ...

    async def aclose(self) -> None:
        """Close the store's connections."""
        ...


class AsyncMemoryEventStore:
    """Event ids in this process's memory (no I/O, thread-safe), the oldest dropped beyond
    ``max_entries``."""

    def __init__(self, max_entries: int = 10_000, *, clock: Clock = time.monotonic) -> None:
        self.events = MemoryEvents(check_max_entries(max_entries), clock)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} max_entries={self.events.max_entries}>"

    async def claim(self, event_id: str, lease: float) -> bool:
        return self.events.claim(event_id, lease)

    async def done(self, event_id: str, ttl: float) -> None:
        self.events.done(event_id, ttl)

    async def release(self, event_id: str) -> None:
        self.events.release(event_id)

    async def seen(self, event_id: str) -> bool:
        return self.events.seen(event_id)

    async def handled(self, event_id: str) -> bool:
        return self.events.handled(event_id)

    async def clear(self) -> None:
        self.events.clear()

    async def count(self) -> int:
        return self.events.count()

    async def aclose(self) -> None:
        pass


_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS qbank_webhook_events ("
    " event_id TEXT PRIMARY KEY, expires_at {real} NOT NULL, handled {bool} NOT NULL);"
    " CREATE INDEX IF NOT EXISTS qbank_webhook_events_expiry"
    " ON qbank_webhook_events (expires_at);"
)


class AsyncSQLiteEventStore:
    """Event ids in a SQLite file shared by the processes of one host (``clock``: wall clock)."""

    def __init__(self, url: StoreURL | str, *, clock: Clock = time.time) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="store")
        self.store = AsyncSQLiteStore(url, schema=_TABLE_SQL.format(real="REAL", bool="INTEGER"))
        self._clock = clock
        self._upgraded = 0  # the pid that checked the table's columns

    async def _run(self, function: Callable[..., _T], *args: Any) -> _T:
        if self._upgraded != os.getpid():
            await self.store.run(_sqlite_upgrade)
            self._upgraded = os.getpid()
        return await self.store.run(function, *args)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    async def claim(self, event_id: str, lease: float) -> bool:
        return await self._run(_sqlite_claim, event_id, self._clock(), lease)

    async def done(self, event_id: str, ttl: float) -> None:
        await self._run(_sqlite_done, event_id, self._clock() + ttl)

    async def release(self, event_id: str) -> None:
        await self._run(
            _sqlite_write,
            "DELETE FROM qbank_webhook_events WHERE event_id = ? AND handled = 0",
            event_id,
        )

    async def seen(self, event_id: str) -> bool:
        return bool(
            await self._run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events WHERE event_id = ? AND expires_at > ?",
                event_id,
                self._clock(),
            )
        )

    async def handled(self, event_id: str) -> bool:
        return bool(
            await self._run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events"
                " WHERE event_id = ? AND expires_at > ? AND handled = 1",
                event_id,
                self._clock(),
            )
        )

    async def clear(self) -> None:
        await self._run(_sqlite_write, "DELETE FROM qbank_webhook_events")

    async def count(self) -> int:
        return int(
            await self._run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events WHERE expires_at > ?",
                self._clock(),
            )
        )

    async def aclose(self) -> None:
        await self.store.aclose()


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


class AsyncPostgresEventStore:
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
        self.store = AsyncPostgresStore(url, schema=schema, purpose="EventDeduplicator")
        self._clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def _now(self) -> float | None:
        """The test clock's time, or None: the SQL's ``coalesce`` then takes the server's."""
        return None if self._clock is None else self._clock()

    async def claim(self, event_id: str, lease: float) -> bool:
        now = self._now()
        async with self.store.connection() as conn:
            # Expired rows go a batch at a time, skipping rows another claim is deleting.
            await conn.execute(
                "DELETE FROM qbank_webhook_events WHERE event_id IN ("
                " SELECT event_id FROM qbank_webhook_events"
                " WHERE expires_at <= coalesce(%s::float8, extract(epoch from statement_timestamp()))"
                " ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED)",
                (now, _PURGE_BATCH),
            )
            cursor = await conn.execute(
                "INSERT INTO qbank_webhook_events AS e (event_id, expires_at, handled)"
                " VALUES (%s, coalesce(%s::float8, extract(epoch from statement_timestamp())) + %s, false)"
                " ON CONFLICT (event_id) DO UPDATE"
                " SET expires_at = excluded.expires_at, handled = false"
                " WHERE e.expires_at <= coalesce(%s::float8, extract(epoch from statement_timestamp()))"
                " RETURNING 1",
                (event_id, now, lease, now),
            )
            row = await cursor.fetchone()
        return row is not None

    async def done(self, event_id: str, ttl: float) -> None:
        async with self.store.connection() as conn:
            await conn.execute(
                "INSERT INTO qbank_webhook_events (event_id, expires_at, handled)"
                " VALUES (%s, coalesce(%s::float8, extract(epoch from statement_timestamp())) + %s, true)"
                " ON CONFLICT (event_id) DO UPDATE"
                " SET expires_at = excluded.expires_at, handled = true",
                (event_id, self._now(), ttl),
            )

    async def release(self, event_id: str) -> None:
        async with self.store.connection() as conn:
            await conn.execute(
                "DELETE FROM qbank_webhook_events WHERE event_id = %s AND NOT handled",
                (event_id,),
            )

    async def seen(self, event_id: str) -> bool:
        async with self.store.connection() as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM qbank_webhook_events WHERE event_id = %s"
                " AND expires_at > coalesce(%s::float8, extract(epoch from statement_timestamp()))",
                (event_id, self._now()),
            )
            row = await cursor.fetchone()
        return row is not None

    async def handled(self, event_id: str) -> bool:
        async with self.store.connection() as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM qbank_webhook_events"
                " WHERE event_id = %s AND handled"
                " AND expires_at > coalesce(%s::float8, extract(epoch from statement_timestamp()))",
                (event_id, self._now()),
            )
            row = await cursor.fetchone()
        return row is not None

    async def clear(self) -> None:
        async with self.store.connection() as conn:
            await conn.execute("DELETE FROM qbank_webhook_events")

    async def count(self) -> int:
        async with self.store.connection() as conn:
            await conn.execute(
                "DELETE FROM qbank_webhook_events"
                " WHERE expires_at <= coalesce(%s::float8, extract(epoch from statement_timestamp()))",
                (self._now(),),
            )
            cursor = await conn.execute("SELECT count(*) FROM qbank_webhook_events")
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def aclose(self) -> None:
        await self.store.aclose()


_CLAIMED = b"claimed"
_HANDLED = b"handled"
# Deletes the key only while it is a claim (a handled entry stays).
_REDIS_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class AsyncRedisEventStore:
    """Event ids as Redis keys that expire by themselves (Redis's clock, not ``clock``)."""

    prefix = "qbank-webhook:"

    def __init__(self, url: StoreURL | str) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="store")
        self.store = AsyncRedisStore(url, purpose="EventDeduplicator")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client: Any = await self.store.client()
        try:
            return await getattr(client, method)(*args, **kwargs)
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    async def claim(self, event_id: str, lease: float) -> bool:
        px = max(int(lease * 1000), 1)
        return bool(await self._call("set", self.prefix + event_id, _CLAIMED, nx=True, px=px))

    async def done(self, event_id: str, ttl: float) -> None:
        await self._call("set", self.prefix + event_id, _HANDLED, px=max(int(ttl * 1000), 1))

    async def release(self, event_id: str) -> None:
        await self._call("eval", _REDIS_RELEASE, 1, self.prefix + event_id, _CLAIMED)

    async def seen(self, event_id: str) -> bool:
        return bool(await self._call("exists", self.prefix + event_id))

    async def handled(self, event_id: str) -> bool:
        value = await self._call("get", self.prefix + event_id)
        return value is not None and bytes(value) != _CLAIMED  # b"1": an entry of 0.2.0

    async def _keys(self) -> list[bytes]:
        client: Any = await self.store.client()
        try:
            return [key async for key in client.scan_iter(match=self.prefix + "*", count=1000)]
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    async def clear(self) -> None:
        keys = await self._keys()
        for start in range(0, len(keys), 1000):
            await self._call("delete", *keys[start : start + 1000])

    async def count(self) -> int:
        return len(await self._keys())

    async def aclose(self) -> None:
        await self.store.aclose()


def open_async_event_store(value: str, *, clock: Clock | None = None) -> AsyncEventStoreMethods:
    """The store a URL names (checked before any I/O); ``clock`` (wall-clock seconds) replaces
    the SQLite host's and the PostgreSQL server's clock, for tests.

    Example::

        store = open_async_event_store("sqlite:///events.db")
    """
    url = parse_store_url(value, argument="store")
    if url.kind == "sqlite":
        return AsyncSQLiteEventStore(url, clock=clock or time.time)
    if url.kind == "postgresql":
        return AsyncPostgresEventStore(url, clock=clock)
    return AsyncRedisEventStore(url)


class AsyncGivenEventStore:
    """A store object the caller gave: the optional methods filled in."""

    def __init__(self, store: Any, ttl: float) -> None:
        self.store = store
        self._ttl = ttl
        self._first_kind = not callable(getattr(store, "done", None))

    def __repr__(self) -> str:
        return repr(self.store)

    async def claim(self, event_id: str, lease: float) -> bool:
        # A store of the first kind has no `done`: its claim marks the event handled for ttl.
        result: bool = await self.store.claim(event_id, self._ttl if self._first_kind else lease)
        return result

    async def done(self, event_id: str, ttl: float) -> None:
        if not self._first_kind:
            await self.store.done(event_id, ttl)

    async def release(self, event_id: str) -> None:
        await self.store.release(event_id)

    async def seen(self, event_id: str) -> bool:
        result: bool = await self.store.seen(event_id)
        return result

    async def handled(self, event_id: str) -> bool:
        if callable(getattr(self.store, "handled", None)):
            result: bool = await self.store.handled(event_id)
            return result
        return await self.seen(event_id)

    async def clear(self) -> None:
        await self.store.clear()

    async def count(self) -> int:
        if callable(getattr(self.store, "count", None)):
            result: int = await self.store.count()
            return result
        return len(self.store)

    async def aclose(self) -> None:
        pass  # the caller's store is the caller's to close


class AsyncEventDeduplicator:
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
    ``QBankStoreError``). Any object with the methods of :class:`AsyncEventStore` works as a
    store. Leases and retention are measured on the clock the receivers share: the host's
    for memory and SQLite, the PostgreSQL server's, the Redis server's. ``clock`` replaces the
    first three, for tests (wall-clock seconds; ``time.monotonic`` for memory).

    Example::

        dedup = AsyncEventDeduplicator(store="redis://cache.internal:6379/0")

        event = client.webhooks.unwrap(body, headers)
        if not await dedup.first_time(event):
            return 200 if await dedup.handled(event) else 409
        try:
            await handle(event)
        except Exception:
            await dedup.release(event)   # answer 500: QBank's redelivery is handled
            raise
        await dedup.done(event)
        return 200
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl: float | timedelta = DEFAULT_TTL,
        *,
        lease: float | timedelta = DEFAULT_LEASE,
        clock: Clock | None = None,
        store: str | AsyncEventStore | None = None,
    ) -> None:
        self._max_entries = check_max_entries(max_entries)
        self._ttl = check_seconds(ttl, "ttl")
        self._lease = check_seconds(lease, "lease")
        self._owned = isinstance(store, str)
        self._store: AsyncEventStoreMethods
        if store is None:
            self._store = AsyncMemoryEventStore(max_entries, clock=clock or time.monotonic)
        elif isinstance(store, str):
            self._store = open_async_event_store(store, clock=clock)
        elif all(callable(getattr(store, m, None)) for m in EVENT_STORE_METHODS):
            self._store = AsyncGivenEventStore(store, self._ttl)
        else:
            raise TypeError(
                "store must be a store URL (sqlite:///..., postgresql://..., redis://...) or an "
                f"object with claim/release/seen/clear methods, not {type(store).__name__}"
            )

    def __repr__(self) -> str:
        lease = "" if self._lease == DEFAULT_LEASE.total_seconds() else f", lease={self._lease:g}"
        name = type(self).__name__
        if isinstance(self._store, AsyncMemoryEventStore):
            return f"{name}(max_entries={self._max_entries}, ttl={self._ttl:g}{lease})"
        return f"{name}(ttl={self._ttl:g}{lease}, store={self._store!r})"

    async def first_time(self, event: WebhookEvent | str) -> bool:
        """Take a lease on the event; True if no other delivery holds it and it was not handled.

        Atomic: of several concurrent deliveries of one event, exactly one gets True. Follow a
        True with :meth:`done` (or :meth:`release` if the handler failed).

        Example::

            if await dedup.first_time(event):
                await handle(event)
                await dedup.done(event)
        """
        return await self._store.claim(event_key(event), self._lease)

    async def done(self, event: WebhookEvent | str) -> None:
        """Mark the event handled: deliveries of it in the next ``ttl`` are not handled again.

        Example::

            await handle(event)
            await dedup.done(event)
        """
        await self._store.done(event_key(event), self._ttl)

    async def release(self, event: WebhookEvent | str) -> None:
        """Give the event back after its handler failed, so that QBank's redelivery is handled.

        Releasing an event that is not claimed, or was marked done, does nothing.

        Example::

            if await dedup.first_time(event):
                try:
                    await handle(event)
                except Exception:
                    await dedup.release(event)  # answer 500: the retry is processed
                    raise
                await dedup.done(event)
        """
        await self._store.release(event_key(event))

    async def forget(self, event: WebhookEvent | str) -> None:
        """Same as :meth:`release` (its first name, kept for existing code).

        Example::

            await dedup.forget(event)
        """
        await self.release(event)

    async def seen(self, event: WebhookEvent | str) -> bool:
        """Whether the event is claimed (its lease running) or handled; records nothing.

        Example::

            if await dedup.seen(event):
                return 200 if await dedup.handled(event) else 409
        """
        return await self._store.seen(event_key(event))

    async def handled(self, event: WebhookEvent | str) -> bool:
        """Whether the event was marked :meth:`done` (within ``ttl``).

        Example::

            if not await dedup.first_time(event):
                return 200 if await dedup.handled(event) else 409  # 409: being handled
        """
        return await self._store.handled(event_key(event))

    async def clear(self) -> None:
        """Forget every event.

        Example::

            await dedup.clear()
            assert await dedup.count() == 0
        """
        await self._store.clear()

    async def count(self) -> int:
        """How many events are claimed or handled (unexpired).

        Example::

            await dedup.count()
        """
        return await self._store.count()

    def __len__(self) -> int:
        raise TypeError("len() of an AsyncEventDeduplicator: use await dedup.count()")

    def __bool__(self) -> bool:
        return True  # a de-duplicator is never "empty" in `if dedup:` (and costs no I/O there)

    async def aclose(self) -> None:
        """Close the store's connections if it was opened from a URL.

        Example::

            dedup = AsyncEventDeduplicator(store="redis://cache:6379/0")
            ...
            await dedup.aclose()
        """
        if self._owned:
            await self._store.aclose()

    async def __aenter__(self) -> AsyncEventDeduplicator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
