# Generated from tests/_async/test_auth.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""OAuth client credentials: encoding, caching, single flight, 401 replay."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote_plus

import httpx2
import pytest

from qbank_connect import QBankConnect
from qbank_connect._auth import AccessToken
from qbank_connect._sync.auth import OAuthTokens
from qbank_connect.errors import (
    QBankAuthenticationError,
    QBankConnectionError,
    QBankTokenError,
)

from ..concurrency import gather_threads
from ..mock_api import BASE_URL, CLIENT_ID, CLIENT_SECRET, MockAPI, balance_json, error
from .conftest import make_client

BALANCE = httpx2.Response(200, json=balance_json())


def test_basic_auth_form_encodes_id_and_secret_before_base64(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api, client_id="id with space", client_secret="p@ss:w/rd+%=")
    client.balances.get("acc_operating")

    (token_request,) = api.token_requests
    scheme, _, encoded = token_request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    assert user == "id+with+space"
    assert password == "p%40ss%3Aw%2Frd%2B%25%3D"
    assert unquote_plus(password) == "p@ss:w/rd+%="
    form = parse_qs(token_request.content.decode())
    assert form == {"grant_type": ["client_credentials"]}
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"


def test_scopes_are_space_delimited(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api, scopes=["balances.read", "payments.ach.write"])
    client.balances.get("acc_operating")
    form = parse_qs(api.token_requests[0].content.decode())
    assert form["scope"] == ["balances.read payments.ach.write"]


def test_token_is_cached_and_sent_as_bearer(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api)
    for _ in range(3):
        client.balances.get("acc_operating")
    assert len(api.token_requests) == 1
    calls = api.calls("GET", "/balances/acc_operating")
    assert [c.headers["authorization"] for c in calls] == ["Bearer tok-1-SECRETTOKEN"] * 3


def test_token_is_refreshed_ahead_of_expiry() -> None:
    api = MockAPI(token_ttl=0)  # already inside the refresh margin: every call needs a new one
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api)
    client.balances.get("acc_operating")
    client.balances.get("acc_operating")
    assert len(api.token_requests) == 2
    calls = api.calls("GET", "/balances/acc_operating")
    assert calls[1].headers["authorization"] == "Bearer tok-2-SECRETTOKEN"


def test_single_flight_150_concurrent_calls_make_one_token_request() -> None:
    api = MockAPI()
    api.token_latency = 0.05  # the token request is slow, so every call queues behind it
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api)

    results = gather_threads([lambda: client.balances.get("acc_operating")] * 150)

    assert all(not isinstance(r, Exception) for r in results), results[:3]
    assert len(api.token_requests) == 1
    assert len(api.calls("GET", "/balances/acc_operating")) == 150


def test_token_failure_reaches_every_waiter_once_then_next_call_retries() -> None:
    api = MockAPI()
    # Every caller must be queued behind the one token request before it fails: 0.05 s was not
    # always enough for 120 threads on 2 loaded cores (xdist and other jobs).
    api.token_latency = 0.5
    api.token_answers = [
        httpx2.Response(401, json={"error": "invalid_client"}, headers={"Request-Id": "t-1"})
    ]
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api)

    results = gather_threads([lambda: client.balances.get("acc_operating")] * 120)

    assert all(isinstance(r, QBankTokenError) for r in results), results[:3]
    assert {r.error_code for r in results} == {"invalid_client"}
    assert len(api.token_requests) == 1
    assert api.calls("GET", "/balances/acc_operating") == []

    client.balances.get("acc_operating")  # the endpoint recovered: a new attempt is made
    assert len(api.token_requests) == 2


def test_token_request_is_retried_on_503(api: MockAPI, sleeps: list[float]) -> None:
    api.token_answers = [error(503, "ERR_SYS_001", **{"Retry-After": "1"})]
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = make_client(api)
    client.balances.get("acc_operating")
    assert len(api.token_requests) == 2
    assert sleeps == [1.0]


def test_invalid_client_message_names_the_oauth_error_and_never_the_secret(
    api: MockAPI,
) -> None:
    api.token_answers = [
        httpx2.Response(
            401,
            json={"error": "invalid_client", "error_description": "bad credentials"},
            headers={"Request-Id": "t-9"},
        )
    ]
    client = make_client(api)
    with pytest.raises(QBankTokenError) as info:
        client.authenticate()
    assert info.value.error_code == "invalid_client"
    assert info.value.status_code == 401
    assert info.value.request_id == "t-9"
    assert "invalid_client" in str(info.value)
    assert CLIENT_SECRET not in str(info.value) and CLIENT_SECRET not in repr(info.value)


def test_401_replays_once_with_a_fresh_token(api: MockAPI) -> None:
    api.route(
        "GET",
        "/balances/acc_operating",
        error(401, "ERR_AUTH_001", **{"WWW-Authenticate": 'Bearer error="invalid_token"'}),
        BALANCE,
    )
    client = make_client(api)
    balance = client.balances.get("acc_operating")
    assert balance.account_id == "acc_operating"
    assert len(api.token_requests) == 2
    calls = api.calls("GET", "/balances/acc_operating")
    assert [c.headers["authorization"] for c in calls] == [
        "Bearer tok-1-SECRETTOKEN",
        "Bearer tok-2-SECRETTOKEN",
    ]


def test_second_401_raises_authentication_error(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", error(401, "ERR_AUTH_001"))
    client = make_client(api)
    with pytest.raises(QBankAuthenticationError) as info:
        client.balances.get("acc_operating")
    assert info.value.error_code == "ERR_AUTH_001"
    assert len(api.token_requests) == 2
    assert len(api.calls("GET", "/balances/acc_operating")) == 2


def test_401_invalidates_only_the_token_that_call_used() -> None:
    issued: list[AccessToken] = []

    def fetch() -> AccessToken:
        issued.append(AccessToken(f"tok-{len(issued) + 1}", expires_in=3600))
        return issued[-1]

    tokens = OAuthTokens(fetch)
    first = tokens.get()
    tokens.invalidate(first)  # call A got a 401 with the first token
    second = tokens.get()
    tokens.invalidate(first)  # call B, which also used the first token, gets its 401 later
    assert tokens.get() is second
    assert len(issued) == 2
    tokens.invalidate(second)
    assert tokens.get() is not second
    assert len(issued) == 3


def test_static_token_skips_oauth(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", BALANCE, error(401, "ERR_AUTH_001"))
    client = QBankConnect(
        token="pre-issued-TOKEN", base_url=BASE_URL, http_client=api.http_client()
    )
    client.balances.get("acc_operating")
    assert api.token_requests == []
    assert api.requests[0].headers["authorization"] == "Bearer pre-issued-TOKEN"
    with pytest.raises(QBankAuthenticationError):
        client.balances.get("acc_operating")
    assert len(api.calls("GET", "/balances/acc_operating")) == 2  # no replay: nothing to refresh


def test_token_callable_is_asked_on_every_call(api: MockAPI) -> None:
    issued = iter(["first-TOKEN", "second-TOKEN"])
    api.route("GET", "/balances/acc_operating", BALANCE)
    client = QBankConnect(
        token=lambda: next(issued), base_url=BASE_URL, http_client=api.http_client()
    )
    client.balances.get("acc_operating")
    client.balances.get("acc_operating")
    assert [r.headers["authorization"] for r in api.requests] == [
        "Bearer first-TOKEN",
        "Bearer second-TOKEN",
    ]


def test_token_endpoint_unreachable_raises_connection_error(
    api: MockAPI, sleeps: list[float]
) -> None:
    api.token_answers = [httpx2.ConnectError("refused")] * 3
    client = make_client(api)
    with pytest.raises(QBankConnectionError):
        client.authenticate()
    assert len(api.token_requests) == 3  # first try and two retries
    assert len(sleeps) == 2


def test_token_endpoint_is_base_url_slash_token(api: MockAPI) -> None:
    client = make_client(api)
    client.authenticate()
    assert str(api.token_requests[0].url) == f"{BASE_URL}/token"


def test_missing_credentials_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="client_id"):
        QBankConnect(base_url=BASE_URL)
    with pytest.raises(ValueError, match="client_secret"):
        QBankConnect(client_id=CLIENT_ID, base_url=BASE_URL)


def test_credentials_fall_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBANK_CLIENT_ID", "env-id")
    monkeypatch.setenv("QBANK_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("QBANK_BASE_URL", "https://env.qbank.test/v1")
    client = QBankConnect()
    assert client.client_id == "env-id"
    assert client.base_url == "https://env.qbank.test/v1"
    assert CLIENT_ID not in repr(client)
