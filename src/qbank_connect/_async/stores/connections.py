"""Connections to the stores (SQLite, PostgreSQL and Redis) for the client of this tree.

Shared plumbing of the token cache, the payment journal and webhook de-duplication. Each class
takes a checked :class:`~qbank_connect._stores.urls.StoreURL` (see ``parse_store_url``), imports its
driver when constructed (a missing extra fails at once, naming it) and connects on first use.
A connection belongs to one process and one event loop: after ``os.fork()``, or on another
event loop, a new one is opened and the old one is left alone. Failures to open, reach or
write a store raise :class:`~qbank_connect.errors.QBankStoreUnavailableError`; no message
contains the URL's password.

- :class:`AsyncSQLiteStore`: ``await store.run(fn, *args)`` calls ``fn(sqlite3.Connection,
  *args)`` (in a worker thread on the async client: the event loop never blocks); ``async with store.transaction()
  as tx`` holds ``BEGIN IMMEDIATE`` on a connection of its own across awaits, ``await
  tx.run(fn, *args)`` works inside it, and the block commits (rolls back on an exception).
- :class:`AsyncPostgresStore`: ``async with store.connection() as conn`` lends this process's
  autocommit ``psycopg.AsyncConnection`` to one task at a time; ``async with store.dedicated()
  as conn`` opens one of its own (e.g. to hold a session advisory lock) and closes it after.
  PostgreSQL on the async client needs asyncio (psycopg's async API has no trio support).
- :class:`AsyncRedisStore`: ``await store.client()`` is this process's redis-py client
  (``redis.asyncio.Redis`` on the async client, which needs asyncio).

Example::

    url = parse_store_url("sqlite:///qbank.db", argument="journal")
    store = AsyncSQLiteStore(url, schema="CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)")
    await store.run(lambda conn: conn.execute("INSERT OR IGNORE INTO t VALUES ('k')"))
    await store.aclose()
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from ..._concurrency import AsyncLock, async_context_identity, async_drivers_usable
from ..._stores.sqlite import SQLiteDatabase
from ..._stores.urls import StoreURL, async_call_blocking, require_driver
from ...errors import QBankStoreError, QBankStoreUnavailableError

if TYPE_CHECKING:
    import psycopg
    from redis.asyncio import Redis as AsyncRedis

__all__ = [
    "CONNECT_TIMEOUT",
    "AsyncPostgresStore",
    "AsyncRedisStore",
    "AsyncSQLiteStore",
    "AsyncSQLiteTransaction",
]

CONNECT_TIMEOUT = 10
"""Seconds to wait for a PostgreSQL or Redis server to accept a connection."""

_T = TypeVar("_T")

# Connections of a parent process or of a finished event loop: never used again and never
# closed from here (closing a socket shared with a parent would disturb it), only kept alive.
_abandoned: list[object] = []


def _owner() -> tuple[int, object]:
    return os.getpid(), async_context_identity()


def _scrubbed(message: str, url: StoreURL) -> str:
    """A driver's error message without the URL's password, should it quote it."""
    password = urlsplit(url.url).password
    for secret in {password, unquote(password)} if password else ():
        if secret:
            message = message.replace(secret, "***")
    return " ".join(message.split())[:300]


class AsyncSQLiteTransaction:
    """``BEGIN IMMEDIATE`` held on a connection of its own; see :meth:`AsyncSQLiteStore.transaction`."""

    def __init__(self, db: SQLiteDatabase, conn: sqlite3.Connection) -> None:
        self._db = db
        self._conn = conn

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(connection, *args)`` inside the transaction, in a worker thread."""
        result: _T = await async_call_blocking(self._call, function, *args)
        return result

    def _call(self, function: Callable[..., _T], *args: Any) -> _T:
        try:
            return function(self._conn, *args)
        except sqlite3.Error as exc:
            raise self._db.error(exc) from None


class AsyncSQLiteStore:
    """A SQLite file shared by the threads and processes of one host (WAL, created ``0600``)."""

    kind = "sqlite"

    def __init__(self, url: StoreURL, *, schema: str = "") -> None:
        assert url.kind == "sqlite" and url.path is not None
        self.url = url
        self.db = SQLiteDatabase(url.path, schema=schema)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url.redacted!r}>"

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(connection, *args)`` on this process's connection, in a worker thread.

        Example::

            count = await store.run(lambda conn: conn.execute("SELECT count(*) FROM t").fetchone())
        """
        result: _T = await async_call_blocking(self.db.run, function, *args)
        return result

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncGenerator[AsyncSQLiteTransaction, None]:
        """Hold SQLite's write lock (``BEGIN IMMEDIATE``) across awaits; commit at the end.

        Other processes wait for it (up to the busy timeout, then a named error), so keep it
        short. Example::

            async with store.transaction() as tx:
                await tx.run(lambda conn: conn.execute("DELETE FROM t"))
        """
        await async_call_blocking(self.db.ensure)  # the schema, and a check the file is usable
        conn = await async_call_blocking(self.db.connect)
        try:
            await async_call_blocking(self._begin, conn)
            try:
                yield AsyncSQLiteTransaction(self.db, conn)
            except BaseException:
                await async_call_blocking(conn.rollback)
                raise
            await async_call_blocking(self._commit, conn)
        finally:
            await async_call_blocking(conn.close)

    def _begin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.db.error(exc) from None

    def _commit(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self.db.error(exc) from None

    async def aclose(self) -> None:
        """Close this process's connection."""
        await async_call_blocking(self.db.close)


class AsyncPostgresStore:
    """A PostgreSQL database via psycopg 3; ``schema`` is applied once per process."""

    kind = "postgresql"

    def __init__(self, url: StoreURL, *, schema: str = "", purpose: str = "this store") -> None:
        assert url.kind == "postgresql"
        self.url = url
        self._schema = schema
        self._psycopg: Any = require_driver("psycopg", purpose=purpose)
        self._conn: tuple[tuple[int, object], psycopg.AsyncConnection[Any]] | None = None
        self._lock = AsyncLock()
        self._schema_done = 0  # the pid that applied the schema
        self._closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url.redacted!r}>"

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if self._closed:
            raise QBankStoreUnavailableError(f"{self!r} is closed")
        driver = self._psycopg
        try:
            conn: psycopg.AsyncConnection[Any] = await driver.AsyncConnection.connect(
                self.url.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            )
        except driver.Error as exc:
            raise QBankStoreUnavailableError(
                f"cannot connect to {self.url.redacted}: {_scrubbed(str(exc), self.url)}"
            ) from None
        except RuntimeError as exc:  # no asyncio event loop (trio)
            raise QBankStoreError(
                "PostgreSQL stores on the async client need asyncio (psycopg has no trio "
                f"support): {exc}"
            ) from None
        if self._schema and self._schema_done != os.getpid():
            try:
                async with conn.transaction():
                    # Concurrent CREATE ... IF NOT EXISTS can still collide: take turns.
                    await conn.execute("SELECT pg_advisory_xact_lock(7216301542)")
                    await conn.execute(self._schema.encode())
            except driver.Error as exc:
                await conn.close()
                raise self.error(exc) from None
            self._schema_done = os.getpid()
        return conn

    def error(self, exc: Exception) -> QBankStoreUnavailableError:
        """The named error for a psycopg failure on this database."""
        return QBankStoreUnavailableError(
            f"PostgreSQL store {self.url.redacted}: {_scrubbed(str(exc), self.url)}"
        )

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncGenerator[psycopg.AsyncConnection[Any], None]:
        """This process's autocommit connection, lent to one task (or thread) at a time.

        A connection that broke is replaced on the next call. Example::

            async with store.connection() as conn:
                await conn.execute("INSERT INTO t VALUES (%s) ON CONFLICT DO NOTHING", ("k",))
        """
        async with self._lock:
            owner = _owner()
            held = self._conn
            if held is None or held[0] != owner or held[1].closed:
                if held is not None and held[0] != owner:
                    _abandoned.append(held[1])
                self._conn = held = (owner, await self._connect())
            conn = held[1]
            try:
                yield conn
            except self._psycopg.Error as exc:
                if conn.broken or conn.closed:
                    self._conn = None
                raise self.error(exc) from None

    @contextlib.asynccontextmanager
    async def dedicated(self) -> AsyncGenerator[psycopg.AsyncConnection[Any], None]:
        """A new autocommit connection for this block only (its session locks end with it).

        Example::

            async with store.dedicated() as conn:
                await conn.execute("SELECT pg_advisory_lock(%s)", (42,))
        """
        conn = await self._connect()
        try:
            yield conn
        except self._psycopg.Error as exc:
            raise self.error(exc) from None
        finally:
            await conn.close()

    async def aclose(self) -> None:
        """Close this process's connection (one of another loop or process is left alone)."""
        self._closed = True
        held, self._conn = self._conn, None
        if held is not None and held[0] == _owner():
            await held[1].close()


class AsyncRedisStore:
    """A Redis database via redis-py; ``client()`` connects on first use."""

    kind = "redis"

    def __init__(self, url: StoreURL, *, purpose: str = "this store") -> None:
        assert url.kind == "redis"
        self.url = url
        self._redis: Any = require_driver("redis.asyncio", purpose=purpose)
        self._client: tuple[tuple[int, object], AsyncRedis] | None = None
        self._lock = AsyncLock()
        self._closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url.redacted!r}>"

    async def client(self) -> AsyncRedis:
        """This process's client (connected and checked with ``PING`` on first use).

        Example::

            r = await store.client()
            first = await r.set("qbank:evt_1", b"1", nx=True, ex=3600)
        """
        if self._closed:
            raise QBankStoreUnavailableError(f"{self!r} is closed")
        owner = _owner()
        held = self._client
        if held is not None and held[0] == owner:
            return held[1]
        async with self._lock:
            held = self._client
            if held is None or held[0] != owner:
                if not async_drivers_usable():
                    raise QBankStoreError(
                        "Redis stores on the async client need asyncio (redis-py has no trio "
                        "support)"
                    )
                if held is not None:
                    _abandoned.append(held[1])
                client = self._redis.Redis.from_url(
                    self.url.url,
                    socket_connect_timeout=CONNECT_TIMEOUT,
                    socket_timeout=30,
                )
                try:
                    await client.ping()
                except self._redis.RedisError as exc:
                    await client.aclose()
                    raise self.error(exc) from None
                except RuntimeError as exc:  # no asyncio event loop (trio)
                    raise QBankStoreError(
                        f"Redis stores on the async client need asyncio (redis-py): {exc}"
                    ) from None
                self._client = held = (owner, client)
        return held[1]

    def error(self, exc: Exception) -> QBankStoreUnavailableError:
        """The named error for a redis-py failure on this server."""
        return QBankStoreUnavailableError(
            f"Redis store {self.url.redacted}: {type(exc).__name__}: "
            f"{_scrubbed(str(exc), self.url)}"
        )

    async def aclose(self) -> None:
        """Close this process's client (one of another loop or process is left alone)."""
        self._closed = True
        held, self._client = self._client, None
        if held is not None and held[0] == _owner():
            await held[1].aclose()
