"""One SQLite database file shared by threads and processes on one host (both client trees).

The file is created ``0600`` before SQLite opens it (SQLite gives its ``-wal`` and ``-shm``
files the same mode); an existing file (or ``-wal``/``-shm``) that its group or others may
read or write is refused with an error naming its mode and the fix (``chmod 600 path``). Connections run in WAL mode with a busy timeout, in autocommit mode
(``isolation_level=None``): callers open transactions themselves with :func:`immediate`.
Each process opens its own connection (one opened before ``os.fork()`` is never used in the
child), and threads take turns on it. Every SQLite failure reaches the caller as
:class:`~qbank_connect.errors.QBankStoreUnavailableError` naming the file.

Example::

    db = SQLiteDatabase("/var/lib/qbank/qbank.db", schema="CREATE TABLE IF NOT EXISTS t (k TEXT)")

    def add(conn: sqlite3.Connection, key: str) -> None:
        with immediate(conn):
            conn.execute("INSERT INTO t VALUES (?)", (key,))

    db.run(add, "k1")
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from .._concurrency import Lock
from ..errors import QBankStoreUnavailableError

__all__ = ["BUSY_TIMEOUT", "SQLiteDatabase", "immediate"]

BUSY_TIMEOUT = 30.0
"""Seconds a statement waits for another connection's write lock before failing."""

_T = TypeVar("_T")

# Connections inherited from a parent process: never used, never closed (closing them could
# disturb the parent), only kept from the garbage collector.
_inherited: list[sqlite3.Connection] = []


class SQLiteDatabase:
    """A SQLite file, its schema applied on first use; see the module docstring."""

    def __init__(self, path: str, *, schema: str = "") -> None:
        self.path = path
        self._schema = schema
        self._lock = Lock()
        self._conn: tuple[int, sqlite3.Connection] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteDatabase({self.path!r})"

    def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(connection, *args)`` on this process's connection, one thread at a time.

        A transaction ``function`` left open (by an exception) is rolled back."""
        with self._lock:
            conn = self._connection()
            try:
                return function(conn, *args)
            except sqlite3.Error as exc:
                raise self.error(exc) from None
            finally:
                if conn.in_transaction:
                    conn.rollback()

    def ensure(self) -> None:
        """Open this process's connection (applying the schema) if it is not open yet."""
        self.run(_nothing)

    def connect(self) -> sqlite3.Connection:
        """A new connection of its own (e.g. to hold a write lock while awaiting); close it."""
        if self._closed:
            raise QBankStoreUnavailableError(f"{self!r} is closed")
        self._create_file()
        try:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            mode = _use_wal(conn)
            if str(mode).lower() != "wal":
                raise QBankStoreUnavailableError(
                    f"{self.path}: SQLite cannot use WAL mode here (got {mode!r}); "
                    "use a local file system"
                )
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            conn.close()
            raise self.error(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close this process's connection; later calls raise."""
        with self._lock:
            self._closed = True
            held, self._conn = self._conn, None
            if held is not None and held[0] == os.getpid():
                held[1].close()

    def error(self, exc: sqlite3.Error) -> QBankStoreUnavailableError:
        """The named error for a SQLite failure on this file."""
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in text.replace("-", ""):
            text = "the file (or its directory) is read-only"
        elif not isinstance(exc, sqlite3.OperationalError) and "not a database" in text:
            text = "the file is not a SQLite database (corrupt, or another kind of file)"
        elif isinstance(exc, sqlite3.DatabaseError) and "malformed" in text:
            text = "the database is corrupt (malformed)"
        return QBankStoreUnavailableError(f"SQLite store {self.path}: {text}")

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise QBankStoreUnavailableError(f"{self!r} is closed")
        pid = os.getpid()
        held = self._conn
        if held is not None and held[0] == pid:
            return held[1]
        if held is not None:
            _inherited.append(held[1])
        conn = self.connect()
        try:
            if self._schema:
                conn.executescript(self._schema)
            # Take the write lock once: a read-only file or directory fails here, at start-up.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.close()
            raise self.error(exc) from None
        self._conn = (pid, conn)
        return conn

    def _create_file(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            raise QBankStoreUnavailableError(
                f"SQLite store {self.path}: its directory does not exist"
            ) from None
        except IsADirectoryError:
            raise QBankStoreUnavailableError(f"SQLite store {self.path} is a directory") from None
        except PermissionError:
            raise QBankStoreUnavailableError(
                f"SQLite store {self.path}: the file is read-only (or not ours to open)"
            ) from None
        except OSError as exc:
            raise QBankStoreUnavailableError(
                f"SQLite store {self.path}: cannot open ({exc.strerror})"
            ) from None
        try:
            _check_private(self.path, os.fstat(fd).st_mode)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    _check_private(self.path + suffix, os.stat(self.path + suffix).st_mode)
        finally:
            os.close(fd)


def _check_private(path: str, mode: int) -> None:
    # Tokens are sealed, but the journal holds payment instructions: a file that others may
    # read or write is refused rather than used (new files are created 0600).
    if stat.S_IMODE(mode) & 0o077:
        raise QBankStoreUnavailableError(
            f"SQLite store {path}: the file's mode is {stat.S_IMODE(mode):04o}, open to its "
            f"group or others; make it private to its owner: chmod 600 {path}"
        )


def _use_wal(conn: sqlite3.Connection) -> str:
    # Switching to WAL takes an exclusive lock without SQLite's busy handler: processes opening a
    # new file at once retry here. A file already in WAL mode (the usual case) needs no switch.
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode == "wal":
                return mode
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _nothing(conn: sqlite3.Connection) -> None:
    pass


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Generator[sqlite3.Connection, None, None]:
    """``BEGIN IMMEDIATE`` (the write lock, waited for up to the busy timeout) ... ``COMMIT``;
    rolled back on an exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.execute("COMMIT")
