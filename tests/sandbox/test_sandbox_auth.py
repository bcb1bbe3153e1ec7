"""POST /token and the bearer check on every other call."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import httpx2
import pytest

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ALL_SCOPES,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
    SandboxClient,
)

from ._helpers import START, ach_body, basic_auth, form_credentials, get_token, new_key

SPECIAL_SECRET = "p@ss:w/rd+%= ü"


def test_demo_secret_needs_form_encoding() -> None:
    assert quote_plus(DEMO_CLIENT_SECRET) != DEMO_CLIENT_SECRET


def test_basic_auth_with_form_encoded_special_secret() -> None:
    client = SandboxClient("weird:id+1", SPECIAL_SECRET)
    with Sandbox(clients=[client], start=START) as sandbox, sandbox.http_client() as http:
        raw = f"{quote_plus('weird:id+1')}:{quote_plus(SPECIAL_SECRET)}".encode()
        header = "Basic " + base64.b64encode(raw).decode()
        response = http.post(
            "/token", data={"grant_type": "client_credentials"}, headers={"Authorization": header}
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3600
        assert body["scope"].split() == list(ALL_SCOPES)
        # Without form-encoding, the same secret is wrong ('+' decodes to a space).
        unencoded = base64.b64encode(f"weird:id+1:{SPECIAL_SECRET}".encode()).decode()
        response = http.post(
            "/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + unencoded},
        )
        assert response.status_code == 401


def test_token_over_both_transports(raw_http: httpx2.Client, sandbox: Sandbox) -> None:
    response = raw_http.post("/token", data={"grant_type": "client_credentials"}, auth=basic_auth())
    assert response.status_code == 200
    assert response.json()["access_token"].startswith("sbx_")
    assert sandbox.token_requests == 1


def test_client_secret_post(raw_http: httpx2.Client) -> None:
    response = raw_http.post("/token", data=form_credentials(scope="balances.read accounts.read"))
    assert response.status_code == 200
    assert response.json()["scope"] == "balances.read accounts.read"


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [(DEMO_CLIENT_ID, "wrong"), ("nobody", DEMO_CLIENT_SECRET)],
)
def test_invalid_client(raw_http: httpx2.Client, client_id: str, secret: str) -> None:
    response = raw_http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=basic_auth(client_id, secret)
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="qbank"'
    assert response.headers["request-id"]


def test_no_client_authentication_at_all(raw_http: httpx2.Client) -> None:
    response = raw_http.post("/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "payments.everything"}, "invalid_scope"),
    ],
)
def test_token_request_errors(raw_http: httpx2.Client, data: dict[str, str], error: str) -> None:
    response = raw_http.post("/token", data=data, auth=basic_auth())
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_scope_not_granted_to_client_is_invalid_scope() -> None:
    reader = SandboxClient("reader", "reader-secret", scopes=("accounts.read",))
    with Sandbox(clients=[reader], start=START) as sandbox, sandbox.http_client() as http:
        response = http.post(
            "/token",
            data={"grant_type": "client_credentials", "scope": "accounts.read balances.read"},
            auth=basic_auth("reader", "reader-secret"),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"
        assert get_token(http, client_id="reader", secret="reader-secret")


def test_token_requests_are_counted(sandbox: Sandbox) -> None:
    with sandbox.http_client() as http:
        get_token(http)
        http.post("/token", data={"grant_type": "client_credentials"}, auth=basic_auth(secret="x"))
        get_token(http, scope="accounts.read")
    assert sandbox.token_requests == 3


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc", "Bearer", "Token abc"])
def test_missing_or_wrong_token_is_401(raw_http: httpx2.Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = raw_http.get("/accounts", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "ERR_AUTH_001"
    assert body["request_id"] == response.headers["request-id"]
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_expired_token_is_401(sandbox: Sandbox) -> None:
    with Sandbox(start=START, token_ttl=60) as short, short.http_client() as http:
        token = get_token(http)
        assert (
            http.post(
                "/token", data={"grant_type": "client_credentials"}, auth=basic_auth()
            ).json()["expires_in"]
            == 60
        )
        headers = {"Authorization": f"Bearer {token}"}
        assert http.get("/accounts", headers=headers).status_code == 200
        short.advance(seconds=59)
        assert http.get("/accounts", headers=headers).status_code == 200
        short.advance(seconds=1)
        response = http.get("/accounts", headers=headers)
        assert response.status_code == 401
        assert response.json()["error_code"] == "ERR_AUTH_001"


def test_expire_tokens_revokes_everything(http: httpx2.Client, sandbox: Sandbox) -> None:
    assert http.get("/accounts").status_code == 200
    assert sandbox.expire_tokens() == 1
    assert http.get("/accounts").status_code == 401
    http.headers["Authorization"] = f"Bearer {get_token(http)}"
    assert http.get("/accounts").status_code == 200


def test_missing_scope_is_403(raw_http: httpx2.Client) -> None:
    token = get_token(raw_http, scope="accounts.read")
    headers = {"Authorization": f"Bearer {token}"}
    assert raw_http.get("/accounts", headers=headers).status_code == 200
    response = raw_http.get(f"/balances/{ACCOUNT_OPERATING}", headers=headers)
    assert response.status_code == 403
    assert response.json()["error_code"] == "ERR_SCOPE_001"
    response = raw_http.post(
        "/payments/ach", json=ach_body(), headers={**headers, "Idempotency-Key": new_key()}
    )
    assert response.status_code == 403
    assert "payments.ach.write" in response.headers["www-authenticate"]


def test_readonly_demo_client_cannot_pay(raw_http: httpx2.Client) -> None:
    from qbank_connect.sandbox import DEMO_READONLY_CLIENT_ID, DEMO_READONLY_CLIENT_SECRET

    token = get_token(
        raw_http, client_id=DEMO_READONLY_CLIENT_ID, secret=DEMO_READONLY_CLIENT_SECRET
    )
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": new_key()}
    assert raw_http.get("/payments", headers=headers).status_code == 200
    assert raw_http.post("/transfers", json={}, headers=headers).status_code == 403
