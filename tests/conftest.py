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
