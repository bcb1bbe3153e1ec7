"""The stores' plumbing: URLs checked before any I/O, SQLite files private and safe across
processes, PostgreSQL and Redis on real servers, and named errors for every way a store can
be unusable (malformed URL, closed port, read-only or corrupt file, missing driver)."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qbank_connect._stores.urls import StoreURL, parse_store_url, redact_url, require_driver
from qbank_connect._sync.stores.connections import PostgresStore, RedisStore, SQLiteStore
from qbank_connect.errors import (
    QBankError,
    QBankStoreDriverMissingError,
    QBankStoreUnavailableError,
    QBankStoreURLError,
)

from .privileges import unprivileged_prefix
from .servers import free_port

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, pid INTEGER);"
SRC = Path(__file__).resolve().parent.parent / "src"


# -- URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("sqlite:///qbank.db", "sqlite"),
        ("sqlite:////var/lib/qbank/q.db", "sqlite"),
        ("postgresql://app:pw@db.internal:5432/qbank?sslmode=require", "postgresql"),
        ("postgres://db/qbank", "postgresql"),
        ("redis://:pw@cache:6379/3", "redis"),
        ("rediss://cache.internal", "redis"),
    ],
)
def test_store_urls_are_recognised(url: str, kind: str) -> None:
    assert parse_store_url(url, argument="journal").kind == kind


def test_sqlite_paths_follow_sqlalchemy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_store_url("sqlite:///q.db", argument="x").path == str(tmp_path / "q.db")
    assert parse_store_url(f"sqlite:///{tmp_path}/a.db", argument="x").path == str(
        tmp_path / "a.db"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "non-empty"),
        ("qbank.db", "is not a URL"),
        ("mysql://u:hunter2@db/q", "unsupported scheme 'mysql'"),
        ("sqlite://", "sqlite:///relative"),
        ("sqlite:///", "sqlite:///relative"),
        ("sqlite:///:memory:", "not shared between processes"),
        ("sqlite:///dir/", "directory"),
        ("sqlite:///q.db?mode=ro", "no query"),
        ("redis://:hunter2@cache:notaport/0", "malformed host or port"),
        ("redis://:hunter2@cache:6379/zero", "database number"),
        ("redis:///0", "names no host"),
        ("postgresql://u:hunter2@db:99999/q", "malformed host or port"),
        ("postgresql://u:hunter2@db/q bad", "whitespace"),
    ],
)
def test_malformed_urls_raise_a_named_value_error_without_the_password(
    url: str, expected: str
) -> None:
    with pytest.raises(QBankStoreURLError) as caught:
        parse_store_url(url, argument="token_cache")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, QBankError)
    message = str(caught.value)
    assert expected in message
    assert "token_cache" in message
    assert "hunter2" not in message


def test_non_string_urls_are_refused() -> None:
    with pytest.raises(QBankStoreURLError, match="journal must be a non-empty store URL"):
        parse_store_url(42, argument="journal")


def test_kinds_limit_what_is_accepted() -> None:
    with pytest.raises(QBankStoreURLError, match="expected postgres://, postgresql://, sqlite://"):
        parse_store_url("redis://cache/0", argument="journal", kinds=("sqlite", "postgresql"))


def test_redaction() -> None:
    assert redact_url("postgresql://app:s3:cr@t@db/q") == "postgresql://app:***@db/q"
    assert redact_url("postgresql://db/q?user=a&password=s3cret&x=1") == (
        "postgresql://db/q?user=a&password=***&x=1"
    )
    assert redact_url("redis://cache:6379/0") == "redis://cache:6379/0"
    url = parse_store_url("redis://:hunter2@cache/0", argument="x")
    assert "hunter2" not in repr(url) and "hunter2" not in str(url)
    assert isinstance(url, StoreURL)


def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(QBankStoreDriverMissingError) as caught:
        require_driver("psycopg", purpose="journal='postgresql://...'")
    assert 'pip install "qbank-connect[postgres]"' in str(caught.value)
    assert isinstance(caught.value, ImportError)
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(QBankStoreDriverMissingError, match=r"qbank-connect\[redis\]"):
        RedisStore(parse_store_url("redis://cache/0", argument="x"))


# -- SQLite -------------------------------------------------------------------------------------


def sqlite_store(path: Path) -> SQLiteStore:
    return SQLiteStore(parse_store_url(f"sqlite:///{path}", argument="journal"), schema=SCHEMA)


def insert(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("INSERT INTO t VALUES (?, ?)", (key, os.getpid()))


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    old = os.umask(0)  # even a permissive umask gives 0600
    try:
        store = sqlite_store(tmp_path / "q.db")
        store.run(insert, "a")
    finally:
        os.umask(old)
    try:
        assert store.run(lambda conn: conn.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"
        for name in ("q.db", "q.db-wal", "q.db-shm"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    finally:
        store.close()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o666])
def test_an_existing_file_open_to_others_is_refused_naming_mode_and_fix(
    tmp_path: Path, mode: int
) -> None:
    path = tmp_path / "q.db"
    seed = sqlite_store(path)
    seed.run(insert, "a")
    seed.close()
    path.chmod(mode)
    store = sqlite_store(path)
    with pytest.raises(QBankStoreUnavailableError) as caught:
        store.run(count)
    assert f"{mode:04o}" in str(caught.value)
    assert f"chmod 600 {path}" in str(caught.value)
    path.chmod(0o600)  # the fix the message names
    fixed = sqlite_store(path)
    try:
        assert fixed.run(count) == 1
    finally:
        fixed.close()


def test_a_wal_file_open_to_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    seed = sqlite_store(path)
    seed.run(insert, "a")
    (tmp_path / "q.db-wal").chmod(0o644)  # still there while a connection is open
    store = sqlite_store(path)
    try:
        with pytest.raises(QBankStoreUnavailableError, match=r"q\.db-wal.*0644.*chmod 600"):
            store.run(count)
    finally:
        seed.close()


def test_the_mode_check_binds_an_unprivileged_process_too(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    seed = sqlite_store(path)
    seed.run(count)
    seed.close()
    path.chmod(0o644)
    result = subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-c", READ_ONLY_CHILD, str(path), SCHEMA],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
    )
    assert result.stdout.startswith("NAMED:"), (result.stdout, result.stderr)
    assert "0644" in result.stdout and f"chmod 600 {path}" in result.stdout


def test_sqlite_transaction_holds_the_write_lock_and_rolls_back(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "q.db")
    try:
        with store.transaction() as tx:
            tx.run(insert, "a")
        with pytest.raises(ZeroDivisionError), store.transaction() as tx:
            tx.run(insert, "b")
            1 / 0  # noqa: B018
        assert store.run(count) == 1
    finally:
        store.close()


def test_a_failed_statement_is_a_named_error_and_rolls_back(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "q.db")

    def twice(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        insert(conn, "x")
        insert(conn, "x")  # primary key violation

    try:
        with pytest.raises(QBankStoreUnavailableError, match="UNIQUE constraint"):
            store.run(twice)
        assert store.run(count) == 0
    finally:
        store.close()


def _insert_many(path: str, prefix: str) -> None:
    store = SQLiteStore(parse_store_url(f"sqlite:///{path}", argument="x"), schema=SCHEMA)
    for i in range(200):
        store.run(insert, f"{prefix}-{i}")
    store.close()


def test_sqlite_many_processes_write_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "q.db")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_insert_many, args=(path, f"p{n}")) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0] * 6
    store = sqlite_store(tmp_path / "q.db")
    try:
        assert store.run(count) == 1200
    finally:
        store.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_sqlite_after_fork_the_child_opens_its_own_connection(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "q.db")
    try:
        store.run(insert, "parent")
        parent_conn = store.db._conn
        pid = os.fork()
        if pid == 0:  # the child: new connection, writes, exits without running pytest's exit
            code = 1
            try:
                store.run(insert, "child")
                code = 0 if store.db._conn is not parent_conn else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert store.db._conn is parent_conn  # the parent's connection is still the same
        assert store.run(count) == 2
    finally:
        store.close()


def test_missing_directory_is_a_named_error(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "absent" / "q.db")
    with pytest.raises(QBankStoreUnavailableError, match="directory does not exist"):
        store.run(count)


def test_corrupt_file_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    path.write_bytes(b"this is not a database, just bytes" * 200)
    path.chmod(0o600)
    store = sqlite_store(path)
    with pytest.raises(QBankStoreUnavailableError, match="not a SQLite database"):
        store.run(count)


READ_ONLY_CHILD = """
import sys
from qbank_connect._stores.urls import parse_store_url
from qbank_connect._sync.stores.connections import SQLiteStore
from qbank_connect.errors import QBankStoreUnavailableError
store = SQLiteStore(parse_store_url("sqlite:///" + sys.argv[1], argument="journal"), schema=sys.argv[2])
try:
    store.run(lambda conn: conn.execute("SELECT count(*) FROM t").fetchone())
except QBankStoreUnavailableError as e:
    print("NAMED:", e)
else:
    print("OPENED")
"""


@pytest.mark.parametrize("what", ["file", "directory"])
def test_read_only_file_is_a_named_error(tmp_path: Path, what: str) -> None:
    # Root ignores file modes, so the child drops the capabilities that bypass them.
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "q.db"
    sqlite_store(path).close()  # a file that is fine, then made read-only
    seed = sqlite_store(path)
    seed.run(insert, "a")
    seed.close()
    for leftover in ("q.db-wal", "q.db-shm"):
        (folder / leftover).unlink(missing_ok=True)
    prefix = unprivileged_prefix()  # with "file", the directory stays writable
    path.chmod(0o400)
    if what == "directory":
        folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-c", READ_ONLY_CHILD, str(path), SCHEMA],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            check=False,
        )
    finally:
        folder.chmod(0o755)
    assert result.stdout.startswith("NAMED:"), (result.stdout, result.stderr)
    assert "read-only" in result.stdout


# -- PostgreSQL and Redis on real servers -------------------------------------------------------


def test_postgres_store_round_trip(postgres_url: str) -> None:
    store = PostgresStore(parse_store_url(postgres_url, argument="journal"), schema=SCHEMA)
    try:
        with store.connection() as conn:
            conn.execute("INSERT INTO t VALUES (%s, %s)", ("a", os.getpid()))
        with store.dedicated() as conn:
            row = conn.execute("SELECT count(*) FROM t").fetchone()
            assert row is not None and row[0] == 1
    finally:
        store.close()


def test_redis_store_round_trip(redis_url: str) -> None:
    store = RedisStore(parse_store_url(redis_url, argument="token_cache"))
    try:
        client = store.client()
        assert client.set("k", b"v", nx=True, ex=60)
        assert not client.set("k", b"w", nx=True, ex=60)
        assert client.get("k") == b"v"
    finally:
        store.close()


def test_each_test_gets_its_own_database(postgres_url: str, redis_url: str) -> None:
    store = RedisStore(parse_store_url(redis_url, argument="x"))
    try:
        assert store.client().dbsize() == 0
    finally:
        store.close()
    pg = PostgresStore(parse_store_url(postgres_url, argument="x"))
    try:
        with pg.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
            assert row is not None and row[0] == 0
    finally:
        pg.close()


def test_closed_ports_are_named_errors_without_the_password() -> None:
    port = free_port()
    pg = PostgresStore(
        parse_store_url(f"postgresql://app:hunter2@127.0.0.1:{port}/q", argument="journal")
    )
    with pytest.raises(QBankStoreUnavailableError) as caught, pg.connection():
        pass
    assert f"127.0.0.1:{port}" in str(caught.value) and "hunter2" not in str(caught.value)
    rs = RedisStore(parse_store_url(f"redis://:hunter2@127.0.0.1:{port}/0", argument="x"))
    with pytest.raises(QBankStoreUnavailableError) as caught:
        rs.client()
    assert "hunter2" not in str(caught.value) and "***" in str(caught.value)
