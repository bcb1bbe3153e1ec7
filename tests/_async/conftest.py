from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from qbank_connect import AsyncQBankConnect
from qbank_connect._async import auth, requester

from ..aiohttp_bridge import AIOHTTP, READ_TIMEOUT
from ..mock_api import BASE_URL, CLIENT_ID, CLIENT_SECRET, MockAPI


@pytest.fixture
async def api() -> AsyncIterator[MockAPI]:
    mock = MockAPI()
    yield mock
    await mock.aclose()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the backoff delays instead of sleeping them."""
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(requester, "async_sleep", fake_sleep)
    monkeypatch.setattr(auth, "async_sleep", fake_sleep)
    return delays


def make_client(api: MockAPI, **options: object) -> AsyncQBankConnect:
    options.setdefault("client_id", CLIENT_ID)
    options.setdefault("client_secret", CLIENT_SECRET)
    if AIOHTTP:  # a scripted timeout is a real one there: read with a short limit
        options.setdefault("timeout", httpx2.Timeout(10.0, read=READ_TIMEOUT))
    return AsyncQBankConnect(  # type: ignore[arg-type]
        base_url=BASE_URL, http_client=api.async_http_client(), **options
    )
