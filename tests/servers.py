"""Real PostgreSQL and Redis servers for the tests, from the Debian packages.

Each server runs on a temporary directory and a free loopback port for the whole session and is
stopped afterwards; the fixtures in ``tests/conftest.py`` hand every test its own database:

- ``postgres_url``: a fresh database (``CREATE DATABASE``) on the session's server, as
  ``postgresql://postgres@127.0.0.1:PORT/test_N``. PostgreSQL refuses to run as root: as root
  the server runs as the ``postgres`` user (``runuser``), on a directory that user owns.
- ``redis_url``: a fresh, empty Redis database number, as ``redis://127.0.0.1:PORT/N``
  (started with ``--save '' --appendonly no``: nothing is written to disk).

Without the binaries the tests skip, naming the package to install
(``apt-get install postgresql redis-server``); with ``CI=true`` they fail instead.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "RedisServer", "free_port", "postgres_server", "redis_server"]

_STARTUP = 60.0
REDIS_DATABASES = 10_000


def missing(what: str, package: str) -> None:
    """Skip the test (fail it under ``CI=true``): ``what`` is not installed."""
    message = f"{what} not found: apt-get install {package}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI=true: the store tests must run)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _STARTUP
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        if process.poll() is not None or time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"server on port {port} did not start:\n{text[-3000:]}")
        time.sleep(0.05)


# -- PostgreSQL ---------------------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    return None


@dataclass
class PostgresServer:
    port: int
    directory: Path
    bin: Path
    as_user: list[str]
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _unprivileged() -> tuple[list[str], int | None, int | None]:
    """The command prefix running a program as ``postgres`` when we are root, and its ids."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        user = pwd.getpwnam("nobody")
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user.pw_name, "--"], user.pw_uid, user.pw_gid
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("running as root, and neither runuser nor setpriv is installed")
    prefix = [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    return prefix, user.pw_uid, user.pw_gid


@contextlib.contextmanager
def postgres_server(env: Mapping[str, str] | None = None) -> Iterator[PostgresServer]:
    """A PostgreSQL server on a temp directory and a free port, trust auth on loopback only.

    ``env``: the server's environment (e.g. libfaketime's, to give it a clock of its own)."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        missing("PostgreSQL (initdb, pg_ctl)", "postgresql")
    assert bin_dir is not None
    prefix, uid, gid = _unprivileged()
    directory = Path(tempfile.mkdtemp(prefix="qbank-pg-"))
    data = directory / "data"
    log = directory / "server.log"
    try:
        if uid is not None and gid is not None:
            os.chown(directory, uid, gid)
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            cwd=directory,
        )
        for attempt in range(5):
            port = free_port()
            options = (
                f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=300 -c full_page_writes=off"
            )
            started = subprocess.run(
                [
                    *prefix,
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(_STARTUP)),
                    "start",
                ],
                capture_output=True,
                cwd=directory,
                env=None if env is None else {**os.environ, **env},
            )
            if started.returncode == 0:
                break
            if attempt == 4:
                text = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start: {started.stderr!r}\n{text}")
        try:
            yield PostgresServer(port, directory, bin_dir, prefix)
        finally:
            subprocess.run(
                [
                    *prefix,
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                cwd=directory,
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# -- Redis --------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    port: int
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def fresh_url(self) -> str:
        """The URL of a database number no test used before, emptied to be sure."""
        import redis

        db = next(self._numbers) % REDIS_DATABASES
        with redis.Redis(host="127.0.0.1", port=self.port, db=db) as client:
            client.flushdb()
        return self.url(db)


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """``redis-server`` on 127.0.0.1 and a free port, in memory only."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server", "redis-server")
    assert binary is not None
    directory = Path(tempfile.mkdtemp(prefix="qbank-redis-"))
    log = directory / "server.log"
    try:
        for attempt in range(5):
            port = free_port()
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [
                        binary,
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        str(directory),
                        "--databases",
                        str(REDIS_DATABASES),
                        "--maxclients",
                        "2000",
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=directory,
                )
            try:
                _wait_for_port(port, process, log)
                break
            except RuntimeError:
                process.kill()
                process.wait()
                if attempt == 4:
                    raise
        try:
            yield RedisServer(port)
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
