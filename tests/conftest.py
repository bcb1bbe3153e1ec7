import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from . import servers
from .aiohttp_bridge import AIOHTTP
from .servers import PostgresServer, RedisServer

settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# -- process-level proofs: run once (nox -s processes), not on every Python -----------------------

PROCESS_PROOFS = (
    # Tests (files, directories or node ids, relative to tests/) whose proof is made by real
    # processes: crashes and SIGKILLs, several processes on one store, forks, subprocesses that
    # install or type-check. They get the `processes` marker; the per-Python `tests` sessions
    # deselect it and `nox -s processes` runs them on one Python. Add yours here, or mark a test
    # `@pytest.mark.processes` in place.
    "exactly_once/",
    "cli/test_docs.py",
    "cli/test_install.py",
    "typing/",
    "test_celery.py",
    "test_chaos.py",
    "test_fork.py",
    "test_jwt_extra.py",
    "test_plugin.py",
    "test_quickstart.py",
    "test_readme.py",
    "test_token_cache_locks.py",
    "test_token_cache_processes.py",
    "test_unasync.py",
    "test_stores.py::test_sqlite_many_processes_write_one_file",
    "test_stores.py::test_read_only_file_is_a_named_error",
    "webhooks/test_dedup_crash.py",
    "webhooks/test_dedup_stores.py::test_two_receivers_given_every_event_three_times_handle_each_once",
)


def is_process_proof(nodeid: str) -> bool:
    """True when a test id (``tests/x.py::test_y[p]``) falls under :data:`PROCESS_PROOFS`."""
    relative = nodeid.removeprefix("tests/")
    for entry in PROCESS_PROOFS:
        if entry.endswith("/"):
            if relative.startswith(entry):
                return True
        elif relative == entry or relative.startswith((entry + "::", entry + "[")):
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_process_proof(item.nodeid):
            item.add_marker(pytest.mark.processes)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "trio" and AIOHTTP:
        pytest.skip("the aiohttp backend runs on asyncio only (trio: httpx2, tested by default)")
    return request.param


@pytest.fixture(autouse=True)
def _no_qbank_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests must not pick up a developer's real credentials or settings.
    for name in (
        "QBANK_CLIENT_ID",
        "QBANK_CLIENT_SECRET",
        "QBANK_BASE_URL",
        "QBANK_WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


# -- real PostgreSQL and Redis servers (tests/servers.py) ----------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (skips without the binaries, fails on CI)."""
    with servers.postgres_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server for the session (skips without redis-server, fails on CI)."""
    with servers.redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """An empty Redis database number of its own for this test."""
    return redis_server.fresh_url()
