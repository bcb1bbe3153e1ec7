# Generated from tests/_async/test_errors.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Every HTTP failure becomes a named exception carrying what support needs."""

from __future__ import annotations

import httpx2
import pytest

from qbank_connect import errors

from ..mock_api import MockAPI, error
from .conftest import make_client

PATH = "/balances/acc_operating"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "ERR_VAL_001", errors.QBankBadRequestError),
        (400, "ERR_IDEM_001", errors.QBankBadRequestError),
        (401, "ERR_AUTH_001", errors.QBankAuthenticationError),
        (403, "ERR_SCOPE_001", errors.QBankPermissionDeniedError),
        (404, "ERR_ACC_001", errors.QBankNotFoundError),
        (409, "ERR_CONFLICT", errors.QBankConflictError),
        (422, "ERR_FUNDS_001", errors.QBankInsufficientFundsError),
        (422, "ERR_IDEM_002", errors.QBankIdempotencyKeyReuseError),
        (422, "ERR_NEW_RULE", errors.QBankUnprocessableEntityError),
        (429, "ERR_RATE_001", errors.QBankRateLimitError),
        (500, "ERR_SYS_000", errors.QBankInternalServerError),
        (502, "ERR_SYS_000", errors.QBankInternalServerError),
        (503, "ERR_SYS_001", errors.QBankServiceUnavailableError),
        (504, "ERR_SYS_000", errors.QBankInternalServerError),
        (418, "ERR_TEAPOT", errors.QBankAPIError),
        (599, "ERR_SYS_999", errors.QBankInternalServerError),
    ],
)
def test_status_maps_to_named_error(
    api: MockAPI, status: int, code: str, cls: type[errors.QBankAPIError]
) -> None:
    api.route("GET", PATH, error(status, code, "explained", **{"X-Extra": "1"}))
    client = make_client(api, max_retries=0)
    with pytest.raises(cls) as info:
        client.balances.get("acc_operating")
    e = info.value
    assert type(e) is cls
    assert isinstance(e, errors.QBankError)
    assert e.status_code == status
    assert e.error_code == code
    assert e.message == "explained"
    assert e.request_id == "req-err-1"
    assert e.headers["x-extra"] == "1"
    assert e.body == {"message": "explained", "error_code": code, "request_id": "req-err-1"}
    assert e.response.status_code == status
    assert e.idempotency_key is None  # a GET carries no key
    assert str(status) in str(e) and code in str(e) and "req-err-1" in str(e)


def test_unprocessable_subclasses_stay_catchable_as_422(api: MockAPI) -> None:
    api.route("GET", PATH, error(422, "ERR_FUNDS_001"))
    client = make_client(api)
    with pytest.raises(errors.QBankUnprocessableEntityError):
        client.balances.get("acc_operating")


def test_validation_details_are_exposed(api: MockAPI) -> None:
    body = {
        "message": "invalid",
        "error_code": "ERR_VAL_001",
        "request_id": "r",
        "details": [{"field": "recipient_details.routing_number", "issue": "must be 9 digits"}],
    }
    api.route("GET", PATH, httpx2.Response(400, json=body))
    client = make_client(api)
    with pytest.raises(errors.QBankBadRequestError) as info:
        client.balances.get("acc_operating")
    assert info.value.details == body["details"]


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (
            httpx2.Response(
                502,
                text="<html><body>Bad Gateway</body></html>",
                headers={"Content-Type": "text/html", "Request-Id": "px-1"},
            ),
            errors.QBankInternalServerError,
        ),
        (httpx2.Response(500, content=b""), errors.QBankInternalServerError),
        (httpx2.Response(400, content=b'{"message": "trunc'), errors.QBankBadRequestError),
        (httpx2.Response(404, content=b"\xff\xfe\x00garbage"), errors.QBankNotFoundError),
        (httpx2.Response(403, json=["not", "an", "object"]), errors.QBankPermissionDeniedError),
    ],
)
def test_malformed_error_bodies_still_give_named_errors(
    api: MockAPI, answer: httpx2.Response, cls: type[errors.QBankAPIError]
) -> None:
    api.route("GET", PATH, answer)
    client = make_client(api, max_retries=0)
    with pytest.raises(cls) as info:
        client.balances.get("acc_operating")
    assert info.value.status_code == answer.status_code
    assert info.value.error_code is None
    assert info.value.message


def test_html_proxy_page_keeps_request_id(api: MockAPI) -> None:
    api.route(
        "GET",
        PATH,
        httpx2.Response(502, text="<html>Bad Gateway</html>", headers={"Request-Id": "px-1"}),
    )
    client = make_client(api, max_retries=0)
    with pytest.raises(errors.QBankInternalServerError) as info:
        client.balances.get("acc_operating")
    assert info.value.request_id == "px-1"
    assert "Bad Gateway" in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"account_id": "acc_operating"',  # truncated
        b"<html>ok</html>",
        b'{"account_id": "acc_operating"}',  # missing required fields
        b'{"account_id": "a", "currency": "USD", "available": 10.5, "ledger": "1.00",'
        b' "as_of": "2026-11-21T10:15:30.123Z", "timestamp": "2026-11-21T10:15:30.123Z",'
        b' "actor": "c", "request_id": "r"}',  # money as a JSON number
    ],
)
def test_bad_success_bodies_raise_response_validation_error(api: MockAPI, content: bytes) -> None:
    api.route("GET", PATH, httpx2.Response(200, content=content, headers={"Request-Id": "ok-1"}))
    client = make_client(api)
    with pytest.raises(errors.QBankResponseValidationError) as info:
        client.balances.get("acc_operating")
    assert info.value.status_code == 200
    assert info.value.request_id == "ok-1"
    assert "Balance" in str(info.value)


def test_unexpected_redirect_is_an_api_error(api: MockAPI) -> None:
    api.route("GET", PATH, httpx2.Response(302, headers={"Location": "https://elsewhere.test/"}))
    client = make_client(api)
    with pytest.raises(errors.QBankAPIError) as info:
        client.balances.get("acc_operating")
    assert info.value.status_code == 302


def test_a_connection_failure_names_the_host_it_could_not_reach() -> None:
    """A real socket to a closed loopback port: the message says which host:port, and why."""
    from qbank_connect import QBankConnect

    from ..servers import free_port

    port = free_port()
    with QBankConnect(
        "id", "secret", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    ) as client:
        with pytest.raises(errors.QBankConnectionError) as failed:
            client.balances.get("acc_operating")
    message = str(failed.value)
    assert f"could not connect to 127.0.0.1:{port}" in message, message
    assert "[Errno" not in message
