# Generated from tests/_async/test_pipeline.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The request pipeline's per-call options: references, UUID keys, raw mode, paging, closing."""

from __future__ import annotations

import uuid

import httpx2
import pytest

from qbank_connect import Page, QBankConnect, RawResponse, idempotency_key_for
from qbank_connect.errors import QBankBadRequestError, QBankClosedError, QBankRequestError

from ..aiohttp_bridge import AIOHTTP
from ..legacy_http import LEGACY
from ..mock_api import (
    BASE_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    MockAPI,
    account_json,
    balance_json,
    payment_json,
)
from .conftest import make_client
from .test_idempotency import ACCEPTED, ACH, keys


def test_a_reference_gives_the_same_key_in_every_client(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED, ACCEPTED)
    make_client(api).payments.create_ach(request=ACH, reference="invoice:INV-1042")
    make_client(api).payments.create_ach(request=ACH, reference="invoice:INV-1042")
    expected = idempotency_key_for("createAchPayment", "invoice:INV-1042")
    assert keys(api, "/payments/ach") == [expected, expected]


def test_a_reference_keys_each_operation_apart(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED)
    api.route("POST", "/transfers", ACCEPTED)
    client = make_client(api)
    client.payments.create_ach(request=ACH, reference="r-1")
    transfer = {"source_account_id": "a", "destination_account_id": "b", "amount": "1.00"}
    client.transfers.create(request=transfer, reference="r-1")
    assert keys(api, "/transfers") == [idempotency_key_for("createTransfer", "r-1")]
    assert keys(api, "/payments/ach") != keys(api, "/transfers")


@pytest.mark.parametrize("reference", ["", "x" * 256, "tab\there", 42])
def test_a_bad_reference_fails_before_any_request(api: MockAPI, reference: object) -> None:
    with pytest.raises(ValueError, match="reference"):
        make_client(api).payments.create_ach(request=ACH, reference=reference)  # type: ignore[arg-type]
    assert api.requests == []


def test_a_reference_of_255_characters_is_accepted(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED)
    make_client(api).payments.create_ach(request=ACH, reference="x" * 255)
    assert len(api.calls("POST", "/payments/ach")) == 1


def test_reference_and_idempotency_key_together_fail_before_sending(api: MockAPI) -> None:
    with pytest.raises(ValueError, match="idempotency_key or reference, not both"):
        make_client(api).payments.create_wire(
            request={
                "source_account_id": "a",
                "amount": "1.00",
                "beneficiary": {"name": "G", "account_number": "1", "bic": "COBADEFFXXX"},
            },
            idempotency_key=str(uuid.uuid4()),
            reference="wire:1",
        )
    assert api.requests == []


def test_a_uuid4_object_is_accepted_as_the_key(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED)
    key = uuid.uuid4()
    make_client(api).payments.create_ach(request=ACH, idempotency_key=key)
    assert keys(api, "/payments/ach") == [str(key)]


def test_a_uuid_of_another_version_is_refused(api: MockAPI) -> None:
    with pytest.raises(ValueError, match="version-1 UUID"):
        make_client(api).payments.create_ach(request=ACH, idempotency_key=uuid.uuid1())
    assert api.requests == []


def test_list_calls_are_awaitable_and_async_iterable(api: MockAPI) -> None:
    page_1 = httpx2.Response(200, json={"data": [account_json(1)], "next_cursor": "c2"})
    page_2 = httpx2.Response(200, json={"data": [account_json(2)], "next_cursor": None})
    api.route("GET", "/accounts", page_1, page_2, page_1, page_2)
    client = make_client(api)
    ids = [account.id for account in client.accounts.list(limit=1)]
    assert ids == ["acc_1", "acc_2"]
    page = client.accounts.list(limit=1)
    assert isinstance(page, Page) and [a.id for a in page.data] == ["acc_1"]
    assert [a.id for a in page] == ["acc_1", "acc_2"]
    assert [r.url.params.get("cursor") for r in api.calls("GET", "/accounts")] == [
        None,
        "c2",
        None,
        "c2",
    ]


def test_a_raw_list_call_is_raw_for_its_first_page_only(api: MockAPI) -> None:
    page_1 = httpx2.Response(200, json={"data": [account_json(1)], "next_cursor": "c2"})
    page_2 = httpx2.Response(200, json={"data": [account_json(2)], "next_cursor": None})
    api.route("GET", "/accounts", page_1, page_2)
    client = make_client(api)
    raw = client.with_raw_response.accounts.list(limit=1)
    assert isinstance(raw, RawResponse) and raw.status_code == 200
    page = raw.parse()
    following = page.get_next_page()
    assert isinstance(following, Page) and [a.id for a in following.data] == ["acc_2"]


def test_raw_mode_does_not_leak_into_the_next_call(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED, ACCEPTED)
    client = make_client(api)
    raw = client.with_raw_response.payments.create_ach(request=ACH)
    assert isinstance(raw, RawResponse)
    payment = client.payments.create_ach(request=ACH)
    assert payment.id == payment_json()["id"]
    assert client.with_raw_response is client.with_raw_response  # built once


def test_a_closed_client_refuses_calls_even_on_your_http_client(api: MockAPI) -> None:
    http = api.http_client()
    client = QBankConnect(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=BASE_URL, http_client=http
    )
    client.close()
    with pytest.raises(QBankClosedError, match="closed"):
        client.balances.get("acc_operating")
    assert api.requests == []
    if AIOHTTP:  # an aiohttp.ClientSession (closed by the api fixture)
        assert not http.closed  # type: ignore[attr-defined]
    else:
        assert not http.is_closed  # yours: refused through us, never closed by us
        http.close()


def test_a_400_message_names_the_fields(api: MockAPI) -> None:
    details = [{"field": f"f{i}", "issue": "is wrong"} for i in range(7)]
    api.route(
        "GET",
        "/balances/acc_operating",
        httpx2.Response(
            400,
            json={
                "message": "The request is invalid.",
                "error_code": "ERR_VAL_001",
                "request_id": "req-1",
                "details": details,
            },
        ),
    )
    with pytest.raises(QBankBadRequestError) as caught:
        make_client(api).balances.get("acc_operating")
    text = str(caught.value)
    assert "f0: is wrong; f1: is wrong" in text and "and 2 more" in text and "f6" not in text
    assert caught.value.details == details
    assert isinstance(caught.value, QBankRequestError)


def test_from_date_after_to_date_fails_before_sending(api: MockAPI) -> None:
    with pytest.raises(ValueError, match="from_date must not be after to_date"):
        make_client(api).transactions.list(
            account_id="acc_operating", from_date="2026-11-21", to_date="2026-11-01"
        )
    assert api.requests == []


def test_client_secret_post_sends_the_credentials_as_form_fields(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    client = make_client(api, token_auth_method="client_secret_post", scopes=["balances.read"])
    client.balances.get("acc_operating")
    (token_request,) = api.token_requests
    assert "authorization" not in token_request.headers
    form = dict(httpx2.QueryParams(token_request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "scope": "balances.read",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }


def test_an_unknown_token_auth_method_fails_at_construction(api: MockAPI) -> None:
    with pytest.raises(ValueError, match="token_auth_method"):
        make_client(api, token_auth_method="private_key_jwt")


def test_the_raw_response_is_the_sending_librarys_own(api: MockAPI) -> None:
    # In the legacy-httpx run (nox -s legacy_httpx) the client was given an httpx.Client;
    # in the aiohttp run (nox -s aiohttp) the answer is an httpx2.Response built from aiohttp's.
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    client = make_client(api)
    raw = client.with_raw_response.balances.get("acc_operating")
    if AIOHTTP:
        assert isinstance(raw.http_response, httpx2.Response)
        assert type(raw.http_response).__name__ == "AiohttpResponse"
        assert raw.http_response.request.headers["authorization"].startswith("Bearer ")
        assert raw.http_response.json()["account_id"] == "acc_operating"
    else:
        module = type(raw.http_response).__module__.split(".")[0]
        assert module == ("httpx" if LEGACY else "httpx2")
    assert raw.parse().account_id == "acc_operating"


def test_a_wrong_http_client_fails_at_construction() -> None:
    with pytest.raises(ValueError, match=r"httpx2\.Client \(or a legacy httpx\.Client\)"):
        QBankConnect(token="t", http_client=object())  # type: ignore[arg-type]
