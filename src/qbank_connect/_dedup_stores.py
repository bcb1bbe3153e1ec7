"""Where ``EventDeduplicator(store=...)`` keeps event ids so that processes share them.

Each store implements the de-duplicator's seam (``webhooks/_dedup.py``): ``claim(event_id,
ttl) -> bool`` (atomic: of any number of concurrent claims of one id, in any process, exactly
one gets True until the entry expires or is released), ``release``, ``seen``, ``clear`` and
``len()``. What is stored is the event id (``evt_...``, not a secret) and when it expires;
nothing of the event's body.

===========  ===============================================================================
SQLite       table ``qbank_webhook_events`` (``event_id`` primary key, ``expires_at`` wall
             clock); a claim is one ``BEGIN IMMEDIATE`` transaction: drop the expired entry,
             ``INSERT ... ON CONFLICT DO NOTHING``. Processes on one host (file ``0600``, WAL).
PostgreSQL   the same table; a claim is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE
             expired RETURNING``: atomic in one statement, across hosts.
Redis        a key ``qbank-webhook:<event_id>`` set with ``SET NX PX ttl``: Redis expires it.
===========  ===============================================================================

The stores are blocking (webhook receivers mostly are). In an async receiver, run the call in
a worker thread, e.g. ``await anyio.to_thread.run_sync(dedup.first_time, event)``.

Example::

    store = open_event_store("redis://cache.internal:6379/0")
    store.claim("evt_123", 72 * 3600)   # True once, then False for 72 hours
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from ._stores.sqlite import immediate
from ._stores.urls import StoreURL, parse_store_url
from ._sync.stores.connections import PostgresStore, RedisStore, SQLiteStore

__all__ = ["PostgresEventStore", "RedisEventStore", "SQLiteEventStore", "open_event_store"]

_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS qbank_webhook_events ("
    " event_id TEXT PRIMARY KEY, expires_at {real} NOT NULL);"
    " CREATE INDEX IF NOT EXISTS qbank_webhook_events_expiry"
    " ON qbank_webhook_events (expires_at);"
)

Clock = Callable[[], float]


class SQLiteEventStore:
    """Event ids in a SQLite file shared by the processes of one host."""

    def __init__(self, url: StoreURL, *, clock: Clock = time.time) -> None:
        self.store = SQLiteStore(url, schema=_TABLE_SQL.format(real="REAL"))
        self._clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def claim(self, event_id: str, ttl: float) -> bool:
        return self.store.run(_sqlite_claim, event_id, self._clock(), ttl)

    def release(self, event_id: str) -> None:
        self.store.run(
            _sqlite_write, "DELETE FROM qbank_webhook_events WHERE event_id = ?", event_id
        )

    def seen(self, event_id: str) -> bool:
        return bool(
            self.store.run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events WHERE event_id = ? AND expires_at > ?",
                event_id,
                self._clock(),
            )
        )

    def clear(self) -> None:
        self.store.run(_sqlite_write, "DELETE FROM qbank_webhook_events")

    def __len__(self) -> int:
        return int(
            self.store.run(
                _sqlite_value,
                "SELECT count(*) FROM qbank_webhook_events WHERE expires_at > ?",
                self._clock(),
            )
        )

    def close(self) -> None:
        self.store.close()


def _sqlite_claim(conn: sqlite3.Connection, event_id: str, now: float, ttl: float) -> bool:
    with immediate(conn):
        conn.execute("DELETE FROM qbank_webhook_events WHERE expires_at <= ?", (now,))
        cursor = conn.execute(
            "INSERT INTO qbank_webhook_events (event_id, expires_at) VALUES (?, ?)"
            " ON CONFLICT (event_id) DO NOTHING",
            (event_id, now + ttl),
        )
        return cursor.rowcount == 1


def _sqlite_write(conn: sqlite3.Connection, sql: str, *params: Any) -> None:
    with immediate(conn):
        conn.execute(sql, params)


def _sqlite_value(conn: sqlite3.Connection, sql: str, *params: Any) -> Any:
    return conn.execute(sql, params).fetchone()[0]


class PostgresEventStore:
    """Event ids in a PostgreSQL table shared by every host."""

    def __init__(self, url: StoreURL, *, clock: Clock = time.time) -> None:
        self.store = PostgresStore(
            url, schema=_TABLE_SQL.format(real="double precision"), purpose="EventDeduplicator"
        )
        self._clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def claim(self, event_id: str, ttl: float) -> bool:
        now = self._clock()
        with self.store.connection() as conn:
            row = conn.execute(
                "INSERT INTO qbank_webhook_events AS e (event_id, expires_at) VALUES (%s, %s)"
                " ON CONFLICT (event_id) DO UPDATE SET expires_at = excluded.expires_at"
                " WHERE e.expires_at <= %s RETURNING 1",
                (event_id, now + ttl, now),
            ).fetchone()
        return row is not None

    def release(self, event_id: str) -> None:
        with self.store.connection() as conn:
            conn.execute("DELETE FROM qbank_webhook_events WHERE event_id = %s", (event_id,))

    def seen(self, event_id: str) -> bool:
        with self.store.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM qbank_webhook_events WHERE event_id = %s AND expires_at > %s",
                (event_id, self._clock()),
            ).fetchone()
        return row is not None

    def clear(self) -> None:
        with self.store.connection() as conn:
            conn.execute("DELETE FROM qbank_webhook_events")

    def __len__(self) -> int:
        with self.store.connection() as conn:
            conn.execute(
                "DELETE FROM qbank_webhook_events WHERE expires_at <= %s", (self._clock(),)
            )
            row = conn.execute("SELECT count(*) FROM qbank_webhook_events").fetchone()
        return int(row[0]) if row is not None else 0

    def close(self) -> None:
        self.store.close()


class RedisEventStore:
    """Event ids as Redis keys that expire by themselves (Redis's clock, not ``clock``)."""

    prefix = "qbank-webhook:"

    def __init__(self, url: StoreURL) -> None:
        self.store = RedisStore(url, purpose="EventDeduplicator")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client = self.store.client()
        try:
            return getattr(client, method)(*args, **kwargs)
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    def claim(self, event_id: str, ttl: float) -> bool:
        px = max(int(ttl * 1000), 1)
        return bool(self._call("set", self.prefix + event_id, b"1", nx=True, px=px))

    def release(self, event_id: str) -> None:
        self._call("delete", self.prefix + event_id)

    def seen(self, event_id: str) -> bool:
        return bool(self._call("exists", self.prefix + event_id))

    def _keys(self) -> list[bytes]:
        client: Any = self.store.client()
        try:
            return list(client.scan_iter(match=self.prefix + "*", count=1000))
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    def clear(self) -> None:
        keys = self._keys()
        for start in range(0, len(keys), 1000):
            self._call("delete", *keys[start : start + 1000])

    def __len__(self) -> int:
        return len(self._keys())

    def close(self) -> None:
        self.store.close()


def open_event_store(value: str, *, clock: Clock | None = None) -> Any:
    """The store a URL names (checked before any I/O); ``clock`` is wall-clock seconds."""
    url = parse_store_url(value, argument="store")
    if url.kind == "sqlite":
        return SQLiteEventStore(url, clock=clock or time.time)
    if url.kind == "postgresql":
        return PostgresEventStore(url, clock=clock or time.time)
    return RedisEventStore(url)
