# Generated from tests/_async/conftest.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from qbank_connect import QBankConnect
from qbank_connect._sync import auth, requester

from ..aiohttp_bridge import AIOHTTP, READ_TIMEOUT
from ..mock_api import BASE_URL, CLIENT_ID, CLIENT_SECRET, MockAPI


@pytest.fixture
def api() -> Iterator[MockAPI]:
    mock = MockAPI()
    yield mock
    mock.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the backoff delays instead of sleeping them."""
    delays: list[float] = []

    def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(requester, "sleep", fake_sleep)
    monkeypatch.setattr(auth, "sleep", fake_sleep)
    return delays


def make_client(api: MockAPI, **options: object) -> QBankConnect:
    options.setdefault("client_id", CLIENT_ID)
    options.setdefault("client_secret", CLIENT_SECRET)
    if AIOHTTP:  # a scripted timeout is a real one there: read with a short limit
        options.setdefault("timeout", httpx2.Timeout(10.0, read=READ_TIMEOUT))
    return QBankConnect(  # type: ignore[arg-type]
        base_url=BASE_URL, http_client=api.http_client(), **options
    )
