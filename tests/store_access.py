"""Direct access to what the SDK wrote into a store (SQLite file, Redis, PostgreSQL), for tests
that read, scan or tamper with the stored bytes. Blocking drivers, used by both twins."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path


def kind(url: str) -> str:
    return url.split(":", 1)[0]


def sqlite_path(url: str) -> str:
    return url.partition("://")[2][1:]


def entries(url: str, table: str, prefix: str = "qbank") -> dict[str, bytes]:
    """Every stored key and value of ``table`` (Redis: every key of the database)."""
    if kind(url) == "sqlite":
        # sqlite3's context manager commits but does not close: closing() does.
        with closing(sqlite3.connect(sqlite_path(url))) as conn:
            rows = conn.execute(f"SELECT key, value FROM {table}").fetchall()
        return {str(k): bytes(v) for k, v in rows}
    if kind(url) == "redis":
        import redis

        with redis.Redis.from_url(url) as client:
            return {
                key.decode(): bytes(client.get(key) or b"")
                for key in client.keys(prefix + "*")
                if client.type(key) == b"string"
            }
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(f"SELECT key, value FROM {table}").fetchall()  # type: ignore[call-overload]
    return {str(k): bytes(v) for k, v in rows}


def replace(url: str, table: str, key: str, value: bytes) -> None:
    """Overwrite one stored value in place (keeping any expiry)."""
    if kind(url) == "sqlite":
        with closing(sqlite3.connect(sqlite_path(url))) as conn, conn:
            conn.execute(f"UPDATE {table} SET value = ? WHERE key = ?", (value, key))
        return
    if kind(url) == "redis":
        import redis

        with redis.Redis.from_url(url) as client:
            client.set(key, value, keepttl=True)
        return
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(f"UPDATE {table} SET value = %s WHERE key = %s", (value, key))  # type: ignore[call-overload]


def raw_bytes(url: str) -> bytes:
    """Everything the store holds, as bytes to scan for secrets in clear.

    SQLite: the database file and its WAL; Redis: every key and value; PostgreSQL: every row of
    every table in the database, as text."""
    if kind(url) == "sqlite":
        path = Path(sqlite_path(url))
        return b"".join(
            p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
    if kind(url) == "redis":
        import redis

        with redis.Redis.from_url(url) as client:
            out = []
            for key in client.keys("*"):
                out.append(key)
                dumped = client.dump(key)
                out.append(dumped if isinstance(dumped, bytes) else b"")
            return b"\n".join(out)
    import psycopg

    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        out = []
        for (name,) in tables:
            for row in conn.execute(f'SELECT * FROM "{name}"').fetchall():  # type: ignore[call-overload]
                out.append(repr(row).encode())
                out.extend(bytes(v) for v in row if isinstance(v, bytes | memoryview))
        return b"\n".join(out)
