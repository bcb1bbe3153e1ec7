# Generated from src/qbank_connect/_async/stores/journal.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The payment journal: one small interface, a SQLite and a PostgreSQL backend.

The journal records each call made with a ``reference`` before its first attempt, and its final
answer after it (see ``docs/exactly-once.md``). Every method is one atomic statement, so any
number of threads, tasks and processes can share one journal.
"""

from __future__ import annotations

import abc
import os
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from typing_extensions import LiteralString

from ..._stores.journal import EntryState, JournalEntry, JournalOutcome
from ..._stores.urls import StoreKind, parse_store_url
from ...errors import QBankStoreUnavailableError
from .connections import PostgresStore, SQLiteStore

__all__ = ["Journal", "PostgresJournal", "SQLiteJournal", "open_journal"]

# One table, the same statements for both backends (SQLite's placeholder is ``?``). Every
# statement is atomic on its own: an insert that does nothing if the row exists, then a read of
# the row that won; an update that only settles a pending row.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS qbank_journal (
    operation       TEXT NOT NULL,
    reference       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    body_digest     TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    state           TEXT NOT NULL,
    outcome         TEXT,
    PRIMARY KEY (operation, reference)
);
CREATE INDEX IF NOT EXISTS qbank_journal_pending ON qbank_journal (state, created_at);
"""
_INSERT: LiteralString = (
    "INSERT INTO qbank_journal (reference, operation, idempotency_key, body_digest, body, "
    "created_at, state, outcome) VALUES (%s, %s, %s, %s, %s, %s, %s, NULL) "
    "ON CONFLICT (operation, reference) DO NOTHING"
)
_SELECT: LiteralString = (
    "SELECT reference, operation, idempotency_key, body_digest, body, created_at, state, "
    "outcome FROM qbank_journal WHERE operation = %s AND reference = %s"
)
_SETTLE: LiteralString = (
    "UPDATE qbank_journal SET state = %s, outcome = %s "
    "WHERE operation = %s AND reference = %s AND state = 'pending'"
)
_PENDING: LiteralString = (
    "SELECT reference, operation, idempotency_key, body_digest, body, created_at, state, "
    "outcome FROM qbank_journal WHERE state = 'pending' ORDER BY created_at"
)


_SQLITE: tuple[StoreKind, ...] = ("sqlite",)
_POSTGRESQL: tuple[StoreKind, ...] = ("postgresql",)
_KINDS = _SQLITE + _POSTGRESQL


def _row(entry: JournalEntry) -> tuple[str, ...]:
    return (
        entry.reference,
        entry.operation,
        entry.idempotency_key,
        entry.body_digest,
        entry.body,
        entry.created_at.astimezone(timezone.utc).isoformat(),
        entry.state.value,
    )


def _entry(row: Sequence[Any]) -> JournalEntry:
    reference, operation, key, digest, body, created_at, state, outcome = row
    created = created_at if isinstance(created_at, datetime) else datetime.fromisoformat(created_at)
    return JournalEntry(
        reference=reference,
        operation=operation,
        idempotency_key=key,
        body_digest=digest,
        body=body,
        created_at=created,
        state=EntryState(state),
        outcome=None if outcome is None else JournalOutcome.from_json(outcome),
    )


class Journal(abc.ABC):
    """What the client needs from a journal; subclass it to keep the journal elsewhere.

    Every method is atomic across processes: :meth:`claim` inserts only if absent and returns
    whichever entry won; :meth:`settle` records an outcome only on a pending entry."""

    @abc.abstractmethod
    def claim(self, entry: JournalEntry) -> JournalEntry:
        """Record ``entry`` durably unless ``(operation, reference)`` is already recorded;
        return the entry the journal holds (``entry`` itself, or the earlier one)."""

    @abc.abstractmethod
    def settle(self, entry: JournalEntry, outcome: JournalOutcome) -> None:
        """Record the final answer of a pending entry (a no-op if it already has one)."""

    @abc.abstractmethod
    def get(self, operation: str, reference: str) -> JournalEntry | None:
        """The entry for ``(operation, reference)``, if there is one.

        Example::

            entry = client.journal.get("createAchPayment", "invoice:INV-1042")
        """

    @abc.abstractmethod
    def pending(self) -> list[JournalEntry]:
        """The calls with no final answer yet, oldest first (``client.recover()`` settles them).

        Example::

            for entry in client.journal.pending():
                print(entry.reference, entry.idempotency_key, entry.created_at)
        """

    def close(self) -> None:  # noqa: B027 - optional: not every journal holds connections
        """Close the journal's connections."""

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SQLiteJournal(Journal):
    """The journal in a SQLite file (WAL, created ``0600``), safe for many processes on one host.

    Each statement runs in a worker thread: the event loop never waits on the disk.

    Example::

        journal = SQLiteJournal("/var/lib/qbank/journal.db")
        client = QBankConnect(journal=journal)    # or journal="sqlite:////var/lib/..."
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path: str = os.path.abspath(path)
        url = parse_store_url("sqlite:///" + self.path, argument="journal", kinds=_SQLITE)
        self._store = SQLiteStore(url, schema=_SCHEMA)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    def claim(self, entry: JournalEntry) -> JournalEntry:
        return self._store.run(_sqlite_claim, entry)

    def settle(self, entry: JournalEntry, outcome: JournalOutcome) -> None:
        self._store.run(_sqlite_settle, entry, outcome)

    def get(self, operation: str, reference: str) -> JournalEntry | None:
        return self._store.run(_sqlite_get, operation, reference)

    def pending(self) -> list[JournalEntry]:
        return self._store.run(_sqlite_pending)

    def close(self) -> None:
        self._store.close()


def _q(statement: str) -> str:
    return statement.replace("%s", "?")


def _sqlite_claim(conn: sqlite3.Connection, entry: JournalEntry) -> JournalEntry:
    # Autocommit: the insert is its own transaction, on disk (synchronous=FULL) when it returns.
    conn.execute(_q(_INSERT), _row(entry))
    row = conn.execute(_q(_SELECT), (entry.operation, entry.reference)).fetchone()
    if row is None:  # rows are never deleted: only a file replaced under us gets here
        raise QBankStoreUnavailableError("journal: the entry vanished right after its insert")
    return _entry(row)


def _sqlite_settle(conn: sqlite3.Connection, entry: JournalEntry, outcome: JournalOutcome) -> None:
    state = EntryState.SUCCEEDED if outcome.succeeded else EntryState.FAILED
    conn.execute(_q(_SETTLE), (state.value, outcome.to_json(), entry.operation, entry.reference))


def _sqlite_get(conn: sqlite3.Connection, operation: str, reference: str) -> JournalEntry | None:
    row = conn.execute(_q(_SELECT), (operation, reference)).fetchone()
    return None if row is None else _entry(row)


def _sqlite_pending(conn: sqlite3.Connection) -> list[JournalEntry]:
    return [_entry(row) for row in conn.execute(_q(_PENDING)).fetchall()]


class PostgresJournal(Journal):
    """The journal in a PostgreSQL table (``qbank_journal``, created if missing), for a fleet.

    Needs ``pip install "qbank-connect[postgres]"`` (psycopg 3); on the async client, asyncio.

    Example::

        client = QBankConnect(journal="postgresql://app@db.internal/treasury")
    """

    def __init__(self, url: str) -> None:
        self._store = PostgresStore(
            parse_store_url(url, argument="journal", kinds=_POSTGRESQL),
            schema=_SCHEMA,
            purpose="journal='postgresql://...'",
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._store.url.redacted!r}>"

    def claim(self, entry: JournalEntry) -> JournalEntry:
        with self._store.connection() as conn:
            conn.execute(_INSERT, _row(entry))
            cursor = conn.execute(_SELECT, (entry.operation, entry.reference))
            row = cursor.fetchone()
        if row is None:
            raise QBankStoreUnavailableError("journal: the entry vanished right after its insert")
        return _entry(row)

    def settle(self, entry: JournalEntry, outcome: JournalOutcome) -> None:
        state = EntryState.SUCCEEDED if outcome.succeeded else EntryState.FAILED
        with self._store.connection() as conn:
            conn.execute(
                _SETTLE, (state.value, outcome.to_json(), entry.operation, entry.reference)
            )

    def get(self, operation: str, reference: str) -> JournalEntry | None:
        with self._store.connection() as conn:
            cursor = conn.execute(_SELECT, (operation, reference))
            row = cursor.fetchone()
        return None if row is None else _entry(row)

    def pending(self) -> list[JournalEntry]:
        with self._store.connection() as conn:
            cursor = conn.execute(_PENDING)
            rows = cursor.fetchall()
        return [_entry(row) for row in rows]

    def close(self) -> None:
        self._store.close()


def open_journal(journal: object) -> Journal | None:
    """The journal for ``journal=``: ``None``, a URL, or a journal object (used as given).

    The URL is checked now; the database is opened on first use."""
    if journal is None or isinstance(journal, Journal):
        return journal
    if not isinstance(journal, str):
        raise ValueError(
            "journal must be a URL ('sqlite:///path/journal.db', 'postgresql://...') or an "
            f"Journal, not {type(journal).__name__}"
        )
    url = parse_store_url(journal, argument="journal", kinds=_KINDS)
    if url.kind == "sqlite":
        assert url.path is not None
        return SQLiteJournal(url.path)
    return PostgresJournal(url.url)
