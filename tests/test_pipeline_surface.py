"""The pipeline's public surface and the blocking client's event-loop warning."""

from __future__ import annotations

import asyncio
import warnings

import httpx2
import pytest

import qbank_connect
from qbank_connect import QBankConnect, _concurrency

from .mock_api import BASE_URL, CLIENT_ID, CLIENT_SECRET, MockAPI, balance_json


def test_the_public_names_are_importable() -> None:
    for name in ("RawResponse", "Page", "AsyncPage", "AsyncPaginator", "QBankRequestError"):
        assert name in qbank_connect.__all__ and getattr(qbank_connect, name)


@pytest.fixture
def fresh_warning() -> object:
    _concurrency._warned_blocking = False
    yield
    _concurrency._warned_blocking = False


@pytest.mark.usefixtures("fresh_warning")
def test_the_blocking_client_warns_once_inside_an_event_loop() -> None:
    api = MockAPI()
    api.route("GET", "/balances/acc_operating", *[httpx2.Response(200, json=balance_json())] * 3)
    client = QBankConnect(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=BASE_URL,
        http_client=api.http_client(),
    )

    async def view() -> None:  # e.g. an async Django or FastAPI view calling the blocking client
        client.balances.get("acc_operating")
        client.balances.get("acc_operating")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.balances.get("acc_operating")  # no event loop: silent
        assert caught == []
        asyncio.run(view())
    assert [w.category for w in caught] == [RuntimeWarning]
    assert "AsyncQBankConnect" in str(caught[0].message)
    assert caught[0].filename == __file__  # points at the caller's line
