# Generated from tests/_async/test_client.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Client configuration, lifecycle and the things every call carries."""

from __future__ import annotations

import httpx2
import pytest

from qbank_connect import QBankConnect, __version__
from qbank_connect.errors import QBankError
from qbank_connect.webhooks import signed_headers

from ..mock_api import BASE_URL, CLIENT_ID, CLIENT_SECRET, MockAPI, balance_json, payment_json
from .conftest import make_client


def test_user_agent_names_sdk_python_and_httpx(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    client = make_client(api)
    client.balances.get("acc_operating")
    agent = api.requests[-1].headers["user-agent"]
    assert agent.startswith(f"qbank-connect-python/{__version__} Python/")
    assert f"httpx2/{httpx2.__version__}" in agent
    assert api.requests[-1].headers["accept"] == "application/json"


def test_default_headers_are_sent(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    client = make_client(api, default_headers={"X-Tenant": "t-1"})
    client.balances.get("acc_operating")
    assert api.requests[-1].headers["x-tenant"] == "t-1"


def test_injected_http_client_is_not_closed(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    http = api.http_client()
    with QBankConnect(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=BASE_URL, http_client=http
    ) as client:
        client.balances.get("acc_operating")
    assert not http.is_closed
    http.close()


def test_closed_client_refuses_calls() -> None:
    client = QBankConnect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=BASE_URL)
    client.close()
    with pytest.raises(QBankError, match="closed"):
        client.balances.get("acc_operating")


def test_defaults_are_finite_and_documented() -> None:
    client = QBankConnect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert client.base_url == "https://api.qbankconnect.com/v1"
    assert client.timeout.read == 60.0 and client.timeout.connect == 10.0
    assert client.max_retries == 2
    sandbox = QBankConnect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environment="sandbox")
    assert sandbox.base_url == "https://sandbox.qbankconnect.com/v1"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"environment": "staging"}, "environment"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": None}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"scopes": ["two words"]}, "scopes"),
        ({"http_client": object()}, "http_client"),
        ({"token": ""}, "token"),
    ],
)
def test_bad_configuration_fails_at_construction(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QBankConnect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **options)  # type: ignore[arg-type]


def test_repr_shows_no_secret() -> None:
    client = QBankConnect(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=BASE_URL)
    assert CLIENT_SECRET not in repr(client)
    assert CLIENT_ID in repr(client)


def test_with_options_returns_a_configured_copy(api: MockAPI) -> None:
    client = make_client(api, timeout=30)
    fast = client.with_options(timeout=2, max_retries=0)
    assert fast is not client
    assert fast.timeout.read == 2.0 and fast.max_retries == 0
    assert client.timeout.read == 30.0 and client.max_retries == 2
    assert fast._requester is client._requester
    # The copy's resources send through the shared pipeline with the copy's defaults.
    assert fast.payments._requester is client._requester
    assert fast.payments._timeout.read == 2.0 and fast.payments._max_retries == 0
    assert client.payments._timeout.read == 30.0


WEBHOOK_SECRET = "whsec_test_SECRET_value"


def test_client_webhooks_unwrap_a_signed_delivery() -> None:

    body = (
        '{"id": "evt_1", "type": "paymentStatusUpdate", "created_at": "2026-11-21T10:15:30.123Z",'
        ' "data": {"payment": '
        + __import__("json").dumps(payment_json(status="P_COMPLETED"))
        + "}}"
    ).encode()
    client = QBankConnect(token="t", webhook_secret=WEBHOOK_SECRET)
    event = client.webhooks.unwrap(body, signed_headers(body, WEBHOOK_SECRET))
    assert event.id == "evt_1" and event.payment.is_completed


def test_webhook_secret_falls_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBANK_WEBHOOK_SECRET", WEBHOOK_SECRET)
    client = QBankConnect(token="t")
    assert client.webhooks.configured


def test_webhooks_without_a_secret_explain_how_to_configure() -> None:
    client = QBankConnect(token="t")
    with pytest.raises(ValueError, match="QBANK_WEBHOOK_SECRET"):
        client.webhooks.unwrap(b"{}", {})


@pytest.mark.parametrize("bad", ["", [""], [b"bytes"]])
def test_bad_webhook_secret_fails_at_construction(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        QBankConnect(token="t", webhook_secret=bad)  # type: ignore[arg-type]


def test_webhook_secret_is_nowhere_in_the_client() -> None:
    client = QBankConnect(token="t", webhook_secret=WEBHOOK_SECRET)
    assert WEBHOOK_SECRET not in repr(client)
    assert WEBHOOK_SECRET not in repr(vars(client))
    assert WEBHOOK_SECRET not in repr(client.webhooks)
