"""The payment journal: one small interface, one SQL implementation, SQLite and PostgreSQL.

The journal records each call made with a ``reference`` before its first attempt, and its final
answer after it (see ``docs/exactly-once.md``). Entries are scoped to one bank and one client
id (:class:`~qbank_connect.journal.JournalScope`); every method is one or two atomic statements
on the database's own clock, so any number of threads, tasks, processes and hosts can share a
journal. A sender takes a short lease on an entry before each attempt: at most one holds it.
"""

from __future__ import annotations

import abc
import os
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from typing_extensions import LiteralString

from ..._stores.clock import CLOCK_SKEW
from ..._stores.journal import LEASE, JournalEntry, JournalOutcome, JournalScope
from ..._stores.journal_sql import POSTGRESQL, SQLITE, Dialect, JournalSQL, epoch, old_table_error
from ..._stores.urls import StoreKind, parse_store_url
from ...errors import QBankStoreUnavailableError
from .connections import AsyncPostgresStore, AsyncSQLiteStore

__all__ = [
    "AsyncJournal",
    "AsyncPostgresJournal",
    "AsyncSQLJournal",
    "AsyncSQLiteJournal",
    "open_async_journal",
]

_SQLITE: tuple[StoreKind, ...] = ("sqlite",)
_POSTGRESQL: tuple[StoreKind, ...] = ("postgresql",)
_KINDS = _SQLITE + _POSTGRESQL


class AsyncJournal(abc.ABC):
    """What the client needs from a journal; subclass it to keep the journal elsewhere.

    Every method takes the :class:`JournalScope` (bank, client id, sealer) of the client
    using it; entries of other scopes are invisible. Times (``created_at``, leases) are on the
    journal's own clock, shared by every writer. The client's view, ``client.journal``,
    passes the scope for you. :class:`AsyncSQLJournal` implements all of it for any database
    that runs its statements.
    """

    @abc.abstractmethod
    async def claim(self, scope: JournalScope, entry: JournalEntry) -> JournalEntry:
        """Record ``entry`` (state ``pending``, ``created_at`` = the journal's now) durably,
        unless its ``(operation, reference)`` is recorded in ``scope``; return what the journal
        holds (``entry`` as stored, or the earlier one)."""

    @abc.abstractmethod
    async def renew(
        self, scope: JournalScope, stale: JournalEntry, fresh: JournalEntry
    ) -> JournalEntry:
        """Replace an entry resolved ``not_sent`` (``stale``, at its generation) with ``fresh``
        (the next generation, a new key); return what the journal holds after."""

    @abc.abstractmethod
    async def acquire(
        self,
        scope: JournalScope,
        entry: JournalEntry,
        owner: str,
        *,
        lease: timedelta = LEASE,
        window: timedelta,
    ) -> JournalEntry:
        """The fence, taken before every attempt: atomically, if the entry is ``pending`` at
        ``entry.generation``, younger than ``window`` and its lease free, expired or
        ``owner``'s, lease it to ``owner`` until the journal's now + ``lease``. If it is older
        than ``window`` (and not leased by another), mark it ``reconcile``. Return the entry
        as it is after (``lease_owner == owner`` means granted)."""

    @abc.abstractmethod
    async def release(self, scope: JournalScope, entry: JournalEntry, owner: str) -> None:
        """Give up ``owner``'s lease on ``entry`` (a no-op if it holds none)."""

    @abc.abstractmethod
    async def settle(
        self, scope: JournalScope, entry: JournalEntry, outcome: JournalOutcome
    ) -> None:
        """Record the final answer of ``entry``'s generation, if it has none yet."""

    @abc.abstractmethod
    async def note_transaction(
        self, scope: JournalScope, entry: JournalEntry, transaction_id: str
    ) -> None:
        """Remember the in-flight ``transaction_id`` a 409 named for ``entry``."""

    @abc.abstractmethod
    async def get(self, scope: JournalScope, operation: str, reference: str) -> JournalEntry | None:
        """The entry for ``(operation, reference)`` in ``scope``, if there is one."""

    @abc.abstractmethod
    async def pending(self, scope: JournalScope) -> list[JournalEntry]:
        """The entries with no final answer (``pending`` and ``reconcile``), oldest first."""

    @abc.abstractmethod
    async def resolve(
        self,
        scope: JournalScope,
        operation: str,
        reference: str,
        *,
        payment_id: str | None,
        resolved_by: str,
    ) -> bool:
        """Close a ``reconcile`` entry: ``resolved`` with ``payment_id``, or ``not_sent`` when
        ``payment_id`` is None. False if the entry is not in ``reconcile``."""

    @abc.abstractmethod
    async def prune(self, scope: JournalScope, settled_before: datetime) -> int:
        """Delete the entries settled (``succeeded``, ``failed``, ``resolved``) before
        ``settled_before`` (journal clock); never an open one. Returns how many."""

    @abc.abstractmethod
    async def now(self) -> datetime:
        """The journal's clock."""

    async def aclose(self) -> None:  # noqa: B027 - optional: not every journal holds connections
        """Close the journal's connections."""

    async def __aenter__(self) -> AsyncJournal:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class AsyncSQLJournal(AsyncJournal):
    """The journal on any SQL database that runs :class:`JournalSQL`'s statements.

    A subclass gives ``_execute`` (a statement's row count) and ``_query`` (its rows); e.g.
    on a Django connection, with ``dialect`` matching its vendor."""

    def __init__(self, dialect: Dialect) -> None:
        self.sql = JournalSQL(dialect)

    @abc.abstractmethod
    async def _execute(self, statement: str, params: Sequence[Any]) -> int:
        """Run one statement (autocommit); its row count."""

    @abc.abstractmethod
    async def _query(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        """Run one query; its rows."""

    async def claim(self, scope: JournalScope, entry: JournalEntry) -> JournalEntry:
        sql = self.sql
        await self._execute(sql.insert, sql.insert_params(scope, entry))
        return await self._required(scope, entry)

    async def renew(
        self, scope: JournalScope, stale: JournalEntry, fresh: JournalEntry
    ) -> JournalEntry:
        await self._execute(self.sql.renew, self.sql.renew_params(scope, stale, fresh))
        return await self._required(scope, fresh)

    async def acquire(
        self,
        scope: JournalScope,
        entry: JournalEntry,
        owner: str,
        *,
        lease: timedelta = LEASE,
        window: timedelta,
    ) -> JournalEntry:
        sql = self.sql
        granted = await self._execute(
            sql.acquire, sql.acquire_params(scope, entry, owner, lease, window)
        )
        if not granted:
            await self._execute(sql.expire, sql.expire_params(scope, entry, owner, window))
        return await self._required(scope, entry)

    async def release(self, scope: JournalScope, entry: JournalEntry, owner: str) -> None:
        await self._execute(self.sql.release, self.sql.release_params(scope, entry, owner))

    async def settle(
        self, scope: JournalScope, entry: JournalEntry, outcome: JournalOutcome
    ) -> None:
        await self._execute(self.sql.settle, self.sql.settle_params(scope, entry, outcome))

    async def note_transaction(
        self, scope: JournalScope, entry: JournalEntry, transaction_id: str
    ) -> None:
        params = (
            transaction_id,
            *self.sql.key_params(scope, entry.operation, entry.reference),
            entry.generation,
        )
        await self._execute(self.sql.note_transaction, params)

    async def get(self, scope: JournalScope, operation: str, reference: str) -> JournalEntry | None:
        rows = await self._query(self.sql.select, self.sql.key_params(scope, operation, reference))
        return self.sql.entry(scope, rows[0]) if rows else None

    async def pending(self, scope: JournalScope) -> list[JournalEntry]:
        rows = await self._query(self.sql.open_entries, (scope.bank, scope.client_id))
        return [self.sql.entry(scope, row) for row in rows]

    async def resolve(
        self,
        scope: JournalScope,
        operation: str,
        reference: str,
        *,
        payment_id: str | None,
        resolved_by: str,
    ) -> bool:
        key = self.sql.key_params(scope, operation, reference)
        if payment_id is not None:
            changed = await self._execute(self.sql.resolve_paid, (payment_id, resolved_by, *key))
        else:
            changed = await self._execute(self.sql.resolve_not_sent, (resolved_by, *key))
        return changed > 0

    async def prune(self, scope: JournalScope, settled_before: datetime) -> int:
        params = (scope.bank, scope.client_id, epoch(settled_before))
        return await self._execute(self.sql.prune, params)

    async def now(self) -> datetime:
        rows = await self._query(self.sql.now, ())
        return JournalSQL.entry_time(rows[0][0])

    async def _required(self, scope: JournalScope, entry: JournalEntry) -> JournalEntry:
        stored = await self.get(scope, entry.operation, entry.reference)
        if stored is None:  # only a prune or a file replaced under us gets here
            raise QBankStoreUnavailableError(
                f"journal: the entry for {entry.operation} reference {entry.reference!r} "
                "vanished right after it was written; nothing was sent"
            )
        return stored


class AsyncSQLiteJournal(AsyncSQLJournal):
    """The journal in a SQLite file (WAL, created ``0600``), safe for many processes on **one
    host** (its clock is the host's clock).

    Each statement runs in a worker thread: the event loop never waits on the disk.

    Example::

        journal = AsyncSQLiteJournal("/var/lib/qbank/journal.db")
        client = AsyncQBankConnect(journal=journal)    # or journal="sqlite:////var/lib/..."
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(SQLITE)
        self.path: str = os.path.abspath(path)
        url = parse_store_url("sqlite:///" + self.path, argument="journal", kinds=_SQLITE)
        self._store = AsyncSQLiteStore(url, schema=self.sql.schema_table + ";")
        self._checked = (0, 0)  # (pid, connection) that registered qbank_now() and checked

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    async def _execute(self, statement: str, params: Sequence[Any]) -> int:
        return await self._store.run(self._sqlite_execute, statement, params)

    async def _query(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return await self._store.run(self._sqlite_query, statement, params)

    def _ready(self, conn: sqlite3.Connection) -> None:
        if self._checked == (os.getpid(), id(conn)):
            return
        conn.create_function("qbank_now", 0, CLOCK_SKEW.estimated_now)
        try:
            conn.execute(self.sql.check)
        except sqlite3.OperationalError as exc:
            raise old_table_error(exc) from None
        conn.execute(self.sql.schema_index)
        self._checked = (os.getpid(), id(conn))

    def _sqlite_execute(self, conn: sqlite3.Connection, statement: str, params: Any) -> int:
        # Autocommit: each statement is its own transaction, on disk (synchronous=FULL).
        self._ready(conn)
        return conn.execute(statement, params).rowcount

    def _sqlite_query(
        self, conn: sqlite3.Connection, statement: str, params: Any
    ) -> list[Sequence[Any]]:
        self._ready(conn)
        return list(conn.execute(statement, params).fetchall())

    async def aclose(self) -> None:
        await self._store.aclose()


class AsyncPostgresJournal(AsyncSQLJournal):
    """The journal in a PostgreSQL table (``qbank_journal``, created if missing), for a fleet:
    ages and leases are measured on the server's clock (``clock_timestamp()``).

    Needs ``pip install "qbank-connect[postgres]"`` (psycopg 3); on the async client, asyncio.

    Example::

        client = AsyncQBankConnect(journal="postgresql://app@db.internal/treasury")
    """

    def __init__(self, url: str) -> None:
        super().__init__(POSTGRESQL)
        self._store = AsyncPostgresStore(
            parse_store_url(url, argument="journal", kinds=_POSTGRESQL),
            schema=self.sql.schema_table + ";",
            purpose="journal='postgresql://...'",
        )
        self._checked = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._store.url.redacted!r}>"

    async def _ready(self, conn: Any) -> None:
        if self._checked == os.getpid():
            return
        try:
            await conn.execute(self.sql.check)
        except Exception as exc:  # psycopg's UndefinedColumn
            if "column" not in str(exc):
                raise
            raise old_table_error(exc) from None
        await conn.execute(self.sql.schema_index)
        self._checked = os.getpid()

    async def _execute(self, statement: str, params: Sequence[Any]) -> int:
        async with self._store.connection() as conn:
            await self._ready(conn)
            cursor = await conn.execute(_literal(statement), tuple(params))
            return int(cursor.rowcount)

    async def _query(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        async with self._store.connection() as conn:
            await self._ready(conn)
            cursor = await conn.execute(_literal(statement), tuple(params))
            return list(await cursor.fetchall())

    async def aclose(self) -> None:
        await self._store.aclose()


def _literal(statement: str) -> LiteralString:
    # The statements are constants of JournalSQL (no caller text is ever formatted in).
    literal: LiteralString = statement  # pyright: ignore[reportAssignmentType]
    return literal


def open_async_journal(journal: object) -> AsyncJournal | None:
    """The journal for ``journal=``: ``None``, a URL, or a journal object (used as given).

    The URL is checked now; the database is opened on first use."""
    if journal is None or isinstance(journal, AsyncJournal):
        return journal
    if not isinstance(journal, str):
        raise ValueError(
            "journal must be a URL ('sqlite:///path/journal.db', 'postgresql://...') or an "
            f"AsyncJournal, not {type(journal).__name__}"
        )
    url = parse_store_url(journal, argument="journal", kinds=_KINDS)
    if url.kind == "sqlite":
        assert url.path is not None
        return AsyncSQLiteJournal(url.path)
    return AsyncPostgresJournal(url.url)
