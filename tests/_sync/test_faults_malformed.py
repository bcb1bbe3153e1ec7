# Generated from tests/_async/test_faults_malformed.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Malformed answers, through a real socket, come back as named errors, never ``KeyError`` or
``JSONDecodeError``: truncated JSON, a wrong content type, HTML error pages from a proxy, empty
bodies, unknown statuses, a body shorter than its ``Content-Length``, a garbage status line.
Each error carries the status and the request id (when the answer had one) and, for a
transactional call, the idempotency key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qbank_connect import QBankConnect
from qbank_connect.errors import (
    QBankAPIError,
    QBankAuthenticationError,
    QBankBadRequestError,
    QBankConflictError,
    QBankConnectionError,
    QBankError,
    QBankInternalServerError,
    QBankRateLimitError,
    QBankResponseValidationError,
    QBankServiceUnavailableError,
    QBankTokenError,
    QBankUnprocessableEntityError,
)

from ..aiohttp_bridge import sync_backend_options
from ..raw_server import RawServer, http_response

RID = "req-7f3a"
JSON = {"Content-Type": "application/json", "Request-Id": RID}
HTML = {"Content-Type": "text/html; charset=utf-8"}
PROXY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>"
TRANSFER = {
    "source_account_id": "acc_operating",
    "destination_account_id": "acc_payroll",
    "amount": "1.00",
}

# (name, raw answer, expected error class, expected status or None, request id expected)
CASES = [
    (
        "truncated json",
        http_response("200 OK", b'{"account_id": "acc_oper', JSON),
        QBankResponseValidationError,
        200,
        True,
    ),
    (
        "json of the wrong shape",
        http_response("200 OK", b"[1, 2, 3]", JSON),
        QBankResponseValidationError,
        200,
        True,
    ),
    ("json null", http_response("200 OK", b"null", JSON), QBankResponseValidationError, 200, True),
    (
        "wrong content type",
        http_response("200 OK", b"OK", {"Content-Type": "text/plain", "Request-Id": RID}),
        QBankResponseValidationError,
        200,
        True,
    ),
    (
        "html page with 200",
        http_response("200 OK", PROXY_PAGE, HTML),
        QBankResponseValidationError,
        200,
        False,
    ),
    (
        "empty 200",
        http_response("200 OK", b"", {"Request-Id": RID}),
        QBankResponseValidationError,
        200,
        True,
    ),
    (
        "empty 201 json",
        http_response("201 Created", b"", JSON),
        QBankResponseValidationError,
        201,
        True,
    ),
    (
        "non-utf8 200",
        http_response("200 OK", b"\xff\xfe\x00garbage", JSON),
        QBankResponseValidationError,
        200,
        True,
    ),
    (
        "proxy html 502",
        http_response("502 Bad Gateway", PROXY_PAGE, HTML),
        QBankInternalServerError,
        502,
        False,
    ),
    (
        "proxy html 504",
        http_response("504 Gateway Time-out", PROXY_PAGE.replace(b"502", b"504"), HTML),
        QBankInternalServerError,
        504,
        False,
    ),
    (
        "empty 500",
        http_response("500 Internal Server Error", b"", {"Request-Id": RID}),
        QBankInternalServerError,
        500,
        True,
    ),
    (
        "empty 503",
        http_response("503 Service Unavailable", b"", {"Request-Id": RID, "Retry-After": "soon"}),
        QBankServiceUnavailableError,
        503,
        True,
    ),
    (
        "truncated json 500",
        http_response("500 Internal Server Error", b'{"error_code": "ERR_SY', JSON),
        QBankInternalServerError,
        500,
        True,
    ),
    (
        "html 429",
        http_response(
            "429 Too Many Requests", b"<html>slow down</html>", {**HTML, "Request-Id": RID}
        ),
        QBankRateLimitError,
        429,
        True,
    ),
    (
        "unknown 599",
        http_response("599 Network Connect Timeout", b"", {"Request-Id": RID}),
        QBankInternalServerError,
        599,
        True,
    ),
    (
        "unknown 418",
        http_response("418 I'm a teapot", b"short and stout", {"Request-Id": RID}),
        QBankAPIError,
        418,
        True,
    ),
    (
        "unknown 299",
        http_response("299 Whatever", b"", {"Request-Id": RID}),
        QBankResponseValidationError,
        299,
        True,
    ),
    (
        "redirect 302",
        http_response(
            "302 Found", b"", {"Location": "http://127.0.0.1:1/elsewhere", "Request-Id": RID}
        ),
        QBankAPIError,
        302,
        True,
    ),
    (
        "non-json 400",
        http_response("400 Bad Request", b"\xff\xfe bad", {"Request-Id": RID}),
        QBankBadRequestError,
        400,
        True,
    ),
    (
        "wrong types in 422",
        http_response(
            "422 Unprocessable Entity",
            b'{"error_code": 42, "message": ["x"], "request_id": 7}',
            JSON,
        ),
        QBankUnprocessableEntityError,
        422,
        True,
    ),
    (
        "html 409",
        http_response("409 Conflict", b"<html>conflict</html>", {**HTML, "Request-Id": RID}),
        QBankConflictError,
        409,
        True,
    ),
    (
        "request id only in body",
        http_response(
            "500 Internal Server Error",
            b'{"error_code": "ERR_SYS_000", "request_id": "req-7f3a"}',
            {"Content-Type": "application/json"},
        ),
        QBankInternalServerError,
        500,
        True,
    ),
    (
        "html 401",
        http_response("401 Unauthorized", b"<html>login</html>", {**HTML, "Request-Id": RID}),
        QBankAuthenticationError,
        401,
        True,
    ),
    (
        "body shorter than content-length",
        http_response("200 OK", b'{"acc', JSON, length=500),
        QBankConnectionError,
        None,
        False,
    ),
    (
        "garbage status line",
        b"HTTP/1.1 OK-ish\r\nContent-Length: 0\r\n\r\n",
        QBankConnectionError,
        None,
        False,
    ),
    ("not http at all", b"SSH-2.0-OpenSSH_9.6\r\n", QBankConnectionError, None, False),
]


@pytest.fixture
def server() -> Iterator[RawServer]:
    with RawServer() as server:
        yield server


@pytest.fixture
def client(server: RawServer) -> Iterator[QBankConnect]:
    with QBankConnect(
        token="static-token",
        base_url=server.base_url,
        timeout=5,
        max_retries=0,
        **sync_backend_options(),
    ) as client:
        yield client


def check(error: QBankError, expected: type[QBankError], status: int | None, has_id: bool) -> None:
    assert type(error) is expected, repr(error)
    assert not isinstance(error, (KeyError, ValueError, TypeError))
    if status is not None:
        assert error.status_code == status  # type: ignore[attr-defined]
        assert str(status) in str(error)
    if has_id:
        assert error.request_id == RID  # type: ignore[attr-defined]
        assert RID in str(error)


@pytest.mark.parametrize(
    ("name", "answer", "expected", "status", "has_id"), CASES, ids=[c[0] for c in CASES]
)
def test_a_malformed_answer_to_a_read_is_a_named_error(
    server: RawServer,
    client: QBankConnect,
    name: str,
    answer: bytes,
    expected: type[QBankError],
    status: int | None,
    has_id: bool,
) -> None:
    server.answer = answer
    with pytest.raises(QBankError) as info:
        client.balances.get("acc_operating")
    check(info.value, expected, status, has_id)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("name", "answer", "expected", "status", "has_id"), CASES, ids=[c[0] for c in CASES]
)
def test_a_malformed_answer_to_a_payment_carries_the_key(
    server: RawServer,
    client: QBankConnect,
    name: str,
    answer: bytes,
    expected: type[QBankError],
    status: int | None,
    has_id: bool,
) -> None:
    server.answer = answer
    key = "3f2b8c1e-6a4d-4e5f-9a7b-1c2d3e4f5a6b"
    with pytest.raises(QBankError) as info:
        client.transfers.create(request=TRANSFER, idempotency_key=key)
    check(info.value, expected, status, has_id)
    assert info.value.idempotency_key == key  # type: ignore[attr-defined]
    assert key in str(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        http_response("200 OK", PROXY_PAGE, HTML),
        http_response("200 OK", b'{"access_tok', JSON),
        http_response("200 OK", b'{"access_token": 42}', JSON),
        http_response("200 OK", b"", JSON),
        http_response("502 Bad Gateway", PROXY_PAGE, {**HTML, "Retry-After": "0"}),
        http_response("401 Unauthorized", b"<html>no</html>", {**HTML, "Request-Id": RID}),
    ],
    ids=["html 200", "truncated", "wrong type", "empty", "proxy 502", "html 401"],
)
def test_a_malformed_token_answer_is_a_named_error(server: RawServer, answer: bytes) -> None:
    server.answer = answer
    with QBankConnect(
        "client-id",
        "client-secret",
        base_url=server.base_url,
        timeout=5,
        max_retries=0,
        **sync_backend_options(),
    ) as client:
        with pytest.raises((QBankTokenError, QBankResponseValidationError)) as info:
            client.authenticate()
    assert info.value.status_code in (200, 401, 502)  # type: ignore[union-attr]
    assert "client-secret" not in str(info.value)
