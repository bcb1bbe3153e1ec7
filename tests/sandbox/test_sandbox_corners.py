"""Corners found by schemathesis: HEAD and unusual methods, and lenient /token form parsing
(RFC 9110 section 9.3.2; RFC 6749 section 3.2), in process and over a real socket."""

from __future__ import annotations

import json
import socket
import uuid

import httpx2
import pytest

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ALL_SCOPES,
    Request,
    Sandbox,
)

from ._helpers import basic_auth, form_credentials

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "path", ["/accounts", f"/accounts/{ACCOUNT_OPERATING}", f"/balances/{ACCOUNT_OPERATING}"]
)
def test_head_answers_like_get_without_a_body(http: httpx2.Client, path: str) -> None:
    get = http.get(path)
    head = http.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]
    uuid.UUID(head.headers["request-id"])
    assert head.headers["request-id"] != get.headers["request-id"]


def test_head_without_a_token_is_the_get_401_without_a_body(raw_http: httpx2.Client) -> None:
    get = raw_http.get("/accounts")
    head = raw_http.head("/accounts")
    assert get.status_code == head.status_code == 401
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["www-authenticate"] == get.headers["www-authenticate"]


def test_head_on_a_post_route_is_405(raw_http: httpx2.Client) -> None:
    response = raw_http.head("/token")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.content == b""
    assert int(response.headers["content-length"]) > 0


@pytest.mark.parametrize("path", ["/payments/ach", "/payments/wire"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_get_and_head_on_a_create_path_are_405_not_get_payment(
    http: httpx2.Client, method: str, path: str
) -> None:
    response = http.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    if method == "GET":
        assert response.json()["error_code"] == "ERR_METHOD_001"


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PATCH", "FROB"])
def test_other_methods_are_json_405_with_allow(http: httpx2.Client, method: str) -> None:
    response = http.request(method, "/accounts")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error_code"] == "ERR_METHOD_001"
    assert body["request_id"] == response.headers["request-id"]


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "FROB", "HEAD"])
def test_other_methods_on_unknown_paths_are_json_404(raw_http: httpx2.Client, method: str) -> None:
    response = raw_http.request(method, "/nothing-here")
    assert response.status_code == 404
    assert response.headers["request-id"]
    if method != "HEAD":
        assert response.json()["error_code"] == "ERR_ROUTE_001"


def test_unusual_methods_keep_the_connection_alive(sandbox: Sandbox) -> None:
    connections = 0

    def count(event: str, info: dict[str, object]) -> None:
        nonlocal connections
        if event == "connection.connect_tcp.complete":
            connections += 1

    with sandbox.serve() as server, httpx2.Client(base_url=server.base_url) as http:
        statuses = [
            http.request(method, "/accounts", extensions={"trace": count}).status_code
            for method in ("HEAD", "OPTIONS", "TRACE", "FROB", "GET", "HEAD", "GET")
        ]
    assert statuses == [401, 405, 405, 405, 401, 401, 401]
    assert connections == 1


def test_sandbox_handle_answers_head_and_options(sandbox: Sandbox) -> None:
    head = sandbox.handle(Request.build("HEAD", "/v1/accounts", "", {}, b""))
    assert head is not None and head.status == 401 and head.body == b""
    assert head.header("Content-Length") not in (None, "0")
    options = sandbox.handle(Request.build("OPTIONS", "/v1/accounts", "", {}, b""))
    assert options is not None and options.status == 405
    assert options.header("Allow") == "GET"


def test_basic_with_empty_form_credentials_is_accepted(raw_http: httpx2.Client) -> None:
    response = raw_http.post(
        "/token",
        data={"grant_type": "client_credentials", "client_id": "", "client_secret": ""},
        auth=basic_auth(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"].split() == list(ALL_SCOPES)


def test_empty_scope_counts_as_omitted(raw_http: httpx2.Client) -> None:
    response = raw_http.post("/token", data=form_credentials(scope=""))
    assert response.status_code == 200, response.text
    assert response.json()["scope"].split() == list(ALL_SCOPES)


def test_unknown_form_fields_are_ignored_even_repeated(raw_http: httpx2.Client) -> None:
    body = b"grant_type=client_credentials&audience=x&audience=y&resource=&resource="
    response = raw_http.post("/token", content=body, headers=FORM, auth=basic_auth())
    assert response.status_code == 200, response.text


def test_empty_grant_type_is_missing(raw_http: httpx2.Client) -> None:
    response = raw_http.post("/token", data={"grant_type": ""}, auth=basic_auth())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "grant_type" in response.json()["error_description"]


def test_repeated_known_field_is_still_refused(raw_http: httpx2.Client) -> None:
    body = b"grant_type=client_credentials&scope=accounts.read&scope=balances.read"
    response = raw_http.post("/token", content=body, headers=FORM, auth=basic_auth())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "scope" in response.json()["error_description"]


def test_both_client_authentication_methods_are_refused(raw_http: httpx2.Client) -> None:
    response = raw_http.post("/token", data=form_credentials(), auth=basic_auth())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "one client authentication method" in response.json()["error_description"]


def test_client_secret_post_with_empty_secret_is_invalid_client(raw_http: httpx2.Client) -> None:
    response = raw_http.post("/token", data=form_credentials(client_secret=""))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_bad_body_framing_is_a_json_400_with_request_id(sandbox: Sandbox) -> None:
    with sandbox.serve() as server, socket.create_connection(("127.0.0.1", server.port)) as conn:
        conn.sendall(b"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].split()[1] == "400"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    payload = json.loads(body)
    assert payload["error_code"] == "ERR_VAL_001"
    assert payload["request_id"] == headers["request-id"]
