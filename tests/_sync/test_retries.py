# Generated from tests/_async/test_retries.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Which answers are retried, how long the client waits, and when it gives up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx2
import pytest

from qbank_connect.errors import (
    QBankAPIError,
    QBankConnectionError,
    QBankRateLimitError,
    QBankServiceUnavailableError,
)

from ..aiohttp_bridge import AIOHTTP
from ..mock_api import MockAPI, balance_json, error
from .conftest import make_client

PATH = "/balances/acc_operating"
OK = httpx2.Response(200, json=balance_json())


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(api: MockAPI, sleeps: list[float], status: int) -> None:
    api.route("GET", PATH, error(status, "ERR_X"), OK)
    client = make_client(api)
    client.balances.get("acc_operating")
    assert len(api.calls("GET", PATH)) == 2
    assert len(sleeps) == 1 and 0.375 <= sleeps[0] <= 0.5


@pytest.mark.parametrize("status", [400, 403, 404, 409, 410, 422])
def test_other_errors_are_not_retried(api: MockAPI, sleeps: list[float], status: int) -> None:
    api.route("GET", PATH, error(status, "ERR_X"), OK)
    client = make_client(api)
    with pytest.raises(QBankAPIError):
        client.balances.get("acc_operating")
    assert len(api.calls("GET", PATH)) == 1
    assert sleeps == []


def test_backoff_grows_exponentially_with_jitter(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, error(500, "ERR_SYS_000"))
    client = make_client(api, max_retries=4)
    with pytest.raises(QBankAPIError) as info:
        client.balances.get("acc_operating")
    assert info.value.retries_taken == 4
    assert len(api.calls("GET", PATH)) == 5
    for attempt, delay in enumerate(sleeps):
        ceiling = min(0.5 * 2**attempt, 8.0)
        assert 0.75 * ceiling <= delay <= ceiling


def test_retry_after_seconds_is_honoured(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, error(429, "ERR_RATE_001", **{"Retry-After": "7"}), OK)
    client = make_client(api)
    client.balances.get("acc_operating")
    assert sleeps == [7.0]


def test_retry_after_http_date_is_honoured(api: MockAPI, sleeps: list[float]) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    api.route("GET", PATH, error(503, "ERR_SYS_001", **{"Retry-After": when}), OK)
    client = make_client(api)
    client.balances.get("acc_operating")
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 5.0


def test_retry_after_beyond_the_cap_raises_at_once(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, error(503, "ERR_SYS_001", **{"Retry-After": "3600"}), OK)
    client = make_client(api)
    with pytest.raises(QBankServiceUnavailableError) as info:
        client.balances.get("acc_operating")
    assert info.value.retry_after == 3600.0
    assert sleeps == []
    assert len(api.calls("GET", PATH)) == 1


def test_rate_limit_error_exposes_retry_after(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, error(429, "ERR_RATE_001", **{"Retry-After": "2"}))
    client = make_client(api, max_retries=0)
    with pytest.raises(QBankRateLimitError) as info:
        client.balances.get("acc_operating")
    assert info.value.retry_after == 2.0
    assert info.value.error_code == "ERR_RATE_001"


def test_max_retries_per_call_overrides_the_client(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, error(502, "ERR_SYS_000"))
    client = make_client(api, max_retries=5)
    with pytest.raises(QBankAPIError):
        client.balances.get("acc_operating", max_retries=1)
    assert len(api.calls("GET", PATH)) == 2


def test_with_options_sets_retries_and_shares_the_token(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, error(502, "ERR_SYS_000"))
    client = make_client(api)
    client.authenticate()
    with pytest.raises(QBankAPIError):
        client.with_options(max_retries=0).balances.get("acc_operating")
    assert len(api.calls("GET", PATH)) == 1
    assert len(api.token_requests) == 1


def test_connection_errors_are_retried_then_raised(api: MockAPI, sleeps: list[float]) -> None:
    api.route("GET", PATH, httpx2.ConnectError("refused"))
    client = make_client(api)
    with pytest.raises(QBankConnectionError) as info:
        client.balances.get("acc_operating")
    assert info.value.retries_taken == 2
    assert len(api.calls("GET", PATH)) == 3


@pytest.mark.skipif(
    AIOHTTP, reason="reads httpx2's request extensions; aiohttp's timeouts: tests/test_aiohttp.py"
)
def test_per_call_timeout_reaches_the_transport(api: MockAPI) -> None:
    api.route("GET", PATH, OK)
    client = make_client(api, timeout=20)
    client.balances.get("acc_operating")
    client.balances.get("acc_operating", timeout=httpx2.Timeout(3.0))
    first, second = api.calls("GET", PATH)
    assert first.extensions["timeout"]["read"] == 20.0
    assert second.extensions["timeout"] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_bad_max_retries_is_rejected(api: MockAPI, bad: object) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match="max_retries"):
        client.balances.get("acc_operating", max_retries=bad)  # type: ignore[arg-type]
    assert api.requests == []
