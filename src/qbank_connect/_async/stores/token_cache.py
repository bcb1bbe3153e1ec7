"""The shared token cache: one token per (client, scopes, server) for every
process using the same store, refreshed by one of them at a time.

``AsyncQBankConnect(..., token_cache=...)`` takes a store URL (``sqlite:///...``,
``postgresql://...``, ``redis://...``) or an :class:`AsyncTokenStore` of your own. Inside a
process the client's single flight stays as it is (one ``POST /token`` however many tasks wait);
across processes, the one that finds no fresh entry takes the store's lock (a SQLite lease row,
a PostgreSQL advisory lock, Redis ``SET NX PX`` released only by its holder), looks again, and
only then asks QBank. No database write lock is held while the token request runs. Entries
are sealed with AES-GCM under a key derived from the client secret (see
``qbank_connect._stores.token_cache``); one that does not open (altered, or sealed with another
secret) is ignored and replaced.

Example::

    client = AsyncQBankConnect(token_cache="redis://cache.internal:6379/0")
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from ..._auth import AccessToken
from ..._concurrency import async_sleep
from ..._logging import logger
from ..._secrets import Secret
from ..._stores.sqlite import immediate
from ..._stores.token_cache import TokenSealer, token_cache_key
from ..._stores.urls import StoreURL, parse_store_url
from ..auth import AsyncOAuthTokens, AsyncTokenFetcher, AsyncTokens
from .connections import (
    AsyncPostgresStore,
    AsyncRedisStore,
    AsyncSQLiteStore,
)

__all__ = [
    "LOCK_TIMEOUT",
    "AsyncPostgresTokenStore",
    "AsyncRedisTokenStore",
    "AsyncSQLiteTokenStore",
    "AsyncSharedTokens",
    "AsyncTokenStore",
    "open_async_token_store",
]

LOCK_TIMEOUT = 120.0
"""Seconds a process waits for another one's refresh (a token request takes at most ~100 s with
its retries); after that it asks for a token itself rather than fail the call."""

_KEEP_AFTER_REFRESH = 3600.0  # an entry outlives its refresh time by this much, then is dropped


class AsyncTokenStore:
    """Where the shared token cache keeps its entries: implement this for a store of your own.

    Values are opaque encrypted bytes; ``expires_at`` (wall-clock seconds, ``math.inf``: never)
    is when the store may forget the entry. :meth:`lock` is held by the process that refreshes
    the token; the default does nothing, so without your own lock each process may refresh.

    Example::

        class DictStore(AsyncTokenStore):
            def __init__(self) -> None:
                self.entries: dict[str, bytes] = {}

            async def load(self, key: str) -> bytes | None:
                return self.entries.get(key)

            async def save(self, key: str, value: bytes, expires_at: float) -> None:
                self.entries[key] = value

        client = AsyncQBankConnect(token_cache=DictStore())
    """

    async def load(self, key: str) -> bytes | None:
        """The value saved under ``key``, or None."""
        raise NotImplementedError

    async def save(self, key: str, value: bytes, expires_at: float) -> None:
        """Save ``value`` under ``key``, replacing any other."""
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncGenerator[None, None]:
        """Hold the refresh lock of ``key`` across processes (default: no lock)."""
        yield

    async def aclose(self) -> None:
        """Release the store's connections (called by the client for stores it opened)."""


class AsyncSQLiteTokenStore(AsyncTokenStore):
    """Entries in a SQLite file (``0600``, WAL): processes on one host. The refresh lock is a
    lease row (owner, process id, expiry) taken in one short transaction: no write lock is held
    while the token request runs, so a journal on the same file keeps writing. A lease whose
    process died is taken over at once; one whose holder hangs, after ``LOCK_TIMEOUT``."""

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS qbank_token_cache ("
        " key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL NOT NULL);"
        " CREATE TABLE IF NOT EXISTS qbank_token_cache_leases ("
        " key TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL,"
        " expires_at REAL NOT NULL);"
    )

    def __init__(self, url: StoreURL | str) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="token_cache")
        self.store = AsyncSQLiteStore(url, schema=self._SCHEMA)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    async def load(self, key: str) -> bytes | None:
        return await self.store.run(_sqlite_load, key)

    async def save(self, key: str, value: bytes, expires_at: float) -> None:
        await self.store.run(_sqlite_save, key, value, expires_at)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncGenerator[None, None]:
        owner = secrets.token_hex(16)
        deadline = time.monotonic() + LOCK_TIMEOUT
        delay = 0.005
        while not await self.store.run(_sqlite_take_lease, key, owner, LOCK_TIMEOUT):
            if time.monotonic() > deadline:
                _lock_timed_out(self)
                owner = ""
                break
            await async_sleep(delay)
            delay = min(delay * 2, 0.1)
        try:
            yield
        finally:
            if owner:
                await self.store.run(_sqlite_drop_lease, key, owner)

    async def aclose(self) -> None:
        await self.store.aclose()


def _sqlite_load(conn: sqlite3.Connection, key: str) -> bytes | None:
    row = conn.execute("SELECT value FROM qbank_token_cache WHERE key = ?", (key,)).fetchone()
    return None if row is None else bytes(row[0])


def _sqlite_save(conn: sqlite3.Connection, key: str, value: bytes, expires_at: float) -> None:
    with immediate(conn):
        conn.execute("DELETE FROM qbank_token_cache WHERE expires_at < ?", (time.time(),))
        conn.execute(
            "INSERT INTO qbank_token_cache (key, value, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE"
            " SET value = excluded.value, expires_at = excluded.expires_at",
            (key, value, expires_at if math.isfinite(expires_at) else 1e18),
        )


def _sqlite_take_lease(conn: sqlite3.Connection, key: str, owner: str, seconds: float) -> bool:
    now = time.time()
    with immediate(conn):
        row = conn.execute(
            "SELECT pid, expires_at FROM qbank_token_cache_leases WHERE key = ?", (key,)
        ).fetchone()
        if row is not None and row[1] > now and _alive(int(row[0])):
            return False
        conn.execute(
            "INSERT INTO qbank_token_cache_leases (key, owner, pid, expires_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET owner = excluded.owner,"
            " pid = excluded.pid, expires_at = excluded.expires_at",
            (key, owner, os.getpid(), now + seconds),
        )
        return True


def _sqlite_drop_lease(conn: sqlite3.Connection, key: str, owner: str) -> None:
    with immediate(conn):
        conn.execute(
            "DELETE FROM qbank_token_cache_leases WHERE key = ? AND owner = ?", (key, owner)
        )


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (SQLite stores are shared by one host)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


class AsyncPostgresTokenStore(AsyncTokenStore):
    """Entries in a PostgreSQL table; the refresh lock is a session advisory lock on a
    connection of its own, released by the server if its holder dies."""

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS qbank_token_cache ("
        " key text PRIMARY KEY, value bytea NOT NULL, expires_at double precision NOT NULL)"
    )

    def __init__(self, url: StoreURL | str) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="token_cache")
        self.store = AsyncPostgresStore(url, schema=self._SCHEMA, purpose="token_cache=")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    async def load(self, key: str) -> bytes | None:
        async with self.store.connection() as conn:
            cursor = await conn.execute(
                "SELECT value FROM qbank_token_cache WHERE key = %s", (key,)
            )
            row = await cursor.fetchone()
        return None if row is None else bytes(row[0])

    async def save(self, key: str, value: bytes, expires_at: float) -> None:
        async with self.store.connection() as conn:
            await conn.execute(
                "INSERT INTO qbank_token_cache (key, value, expires_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (key) DO UPDATE"
                " SET value = excluded.value, expires_at = excluded.expires_at",
                (key, value, expires_at if math.isfinite(expires_at) else 1e18),
            )
            await conn.execute(
                "DELETE FROM qbank_token_cache WHERE expires_at < %s", (time.time(),)
            )

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncGenerator[None, None]:
        async with self.store.dedicated() as conn:
            await conn.execute(
                "SELECT set_config('lock_timeout', %s, false)", (f"{int(LOCK_TIMEOUT * 1000)}ms",)
            )
            try:
                await conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
            except self.store._psycopg.errors.LockNotAvailable:
                _lock_timed_out(self)
                yield
                return
            try:
                yield
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))

    async def aclose(self) -> None:
        await self.store.aclose()


# Deletes the lock only if it still holds our token (not one taken after ours expired).
_REDIS_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class AsyncRedisTokenStore(AsyncTokenStore):
    """Entries as Redis strings that expire by themselves; the refresh lock is ``SET NX PX``
    with a random token, released only by its holder (and after ``LOCK_TIMEOUT`` anyway)."""

    def __init__(self, url: StoreURL | str) -> None:
        url = url if isinstance(url, StoreURL) else parse_store_url(url, argument="token_cache")
        self.store = AsyncRedisStore(url, purpose="token_cache=")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store.url.redacted!r}>"

    async def load(self, key: str) -> bytes | None:
        client = await self.store.client()
        try:
            value: Any = await client.get(key)
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None
        return None if value is None else bytes(value)

    async def save(self, key: str, value: bytes, expires_at: float) -> None:
        client = await self.store.client()
        try:
            if math.isfinite(expires_at):
                await client.set(key, value, pxat=max(int(expires_at * 1000), 1))
            else:
                await client.set(key, value)
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncGenerator[None, None]:
        client = await self.store.client()
        name, token = key + ":lock", secrets.token_hex(16)
        deadline = time.monotonic() + LOCK_TIMEOUT
        delay = 0.005
        try:
            while not await client.set(name, token, nx=True, px=int(LOCK_TIMEOUT * 1000)):
                if time.monotonic() > deadline:
                    _lock_timed_out(self)
                    token = ""
                    break
                await async_sleep(delay)
                delay = min(delay * 2, 0.1)
        except self.store._redis.RedisError as exc:
            raise self.store.error(exc) from None
        try:
            yield
        finally:
            if token:
                try:
                    await client.eval(_REDIS_RELEASE, 1, name, token)
                except self.store._redis.RedisError as exc:
                    raise self.store.error(exc) from None

    async def aclose(self) -> None:
        await self.store.aclose()


def _lock_timed_out(store: AsyncTokenStore) -> None:
    logger.warning(
        "token cache %r: no refresh lock after %.0fs; fetching a token without it",
        store,
        LOCK_TIMEOUT,
    )


_STORES: dict[str, Callable[[StoreURL], AsyncTokenStore]] = {
    "sqlite": AsyncSQLiteTokenStore,
    "postgresql": AsyncPostgresTokenStore,
    "redis": AsyncRedisTokenStore,
}


def open_async_token_store(value: object) -> tuple[AsyncTokenStore, bool]:
    """The store ``token_cache=`` names, and whether the client opened it (and so closes it)."""
    if isinstance(value, AsyncTokenStore):
        return value, False
    if not isinstance(value, str):
        raise ValueError(
            "token_cache must be a store URL (sqlite:///..., postgresql://..., redis://...) "
            f"or a token store object (AsyncTokenStore), not {type(value).__name__}"
        )
    url = parse_store_url(value, argument="token_cache")
    return _STORES[url.kind](url), True


class AsyncSharedTokens(AsyncTokens):
    """Tokens shared through a :class:`AsyncTokenStore`; same interface as ``AsyncOAuthTokens``.

    ``fetch`` asks QBank for a token; it runs only in the process holding the store's lock,
    after a second look found no fresh token there."""

    refreshable = True

    def __init__(
        self,
        store: AsyncTokenStore,
        fetch: AsyncTokenFetcher,
        *,
        key: str,
        client_secret: Secret,
        owned: bool = False,
    ) -> None:
        self.store = store
        self.key = key
        self._owned = owned
        self._fetch = fetch
        self._sealer = TokenSealer(client_secret, key)
        self._rejected: str | None = None  # the authorization a 401 refused
        self._local = AsyncOAuthTokens(self._shared)  # single flight inside the process

    @classmethod
    def open(
        cls,
        token_cache: object,
        fetch: AsyncTokenFetcher,
        *,
        client_id: str,
        client_secret: Secret,
        scopes: Sequence[str] | None,
        base_url: str,
    ) -> AsyncSharedTokens:
        """The token source of ``token_cache=`` (a URL is checked here, before any I/O)."""
        store, owned = open_async_token_store(token_cache)
        key = token_cache_key(client_id, scopes, base_url)
        return cls(store, fetch, key=key, client_secret=client_secret, owned=owned)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.store!r}>"

    async def aclose(self) -> None:
        """Close the store if the client opened it from a URL (not a store object you gave)."""
        if self._owned:
            await self.store.aclose()

    async def get(self) -> AccessToken:
        return await self._local.get()

    def invalidate(self, token: AccessToken) -> None:
        self._rejected = token.authorization
        self._local.invalidate(token)

    async def _shared(self) -> AccessToken:
        token = await self._cached()
        if token is not None:
            return token
        async with self.store.lock(self.key):
            token = await self._cached()  # another process may have refreshed while we waited
            if token is not None:
                return token
            token = await self._fetch()
            blob = self._sealer.seal(token)
            entry = self._sealer.open(blob)
            assert entry is not None
            await self.store.save(self.key, blob, entry.refresh_at + _KEEP_AFTER_REFRESH)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("token cache %r: stored a new token", self.store)
            return token

    async def _cached(self) -> AccessToken | None:
        blob = await self.store.load(self.key)
        if blob is None:
            return None
        entry = self._sealer.open(bytes(blob))
        if entry is None:
            logger.warning("token cache %r: an entry did not decrypt; fetching anew", self.store)
            return None
        if not entry.is_fresh() or entry.authorization == self._rejected:
            return None
        return entry.access_token()
