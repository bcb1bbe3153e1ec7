"""POST /token without a secret: private_key_jwt assertions the sandbox must refuse (each with
401 invalid_client, as the contract says), one method at a time, and tls_client_auth's need for
a TLS connection. The SDK's side is in tests/_async/test_private_key_jwt.py and test_mtls.py."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from qbank_connect.sandbox import ACCOUNT_OPERATING, DEFAULT_BASE_URL, Sandbox, SandboxClient

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_ID = "signer"
AUDIENCE = DEFAULT_BASE_URL + "/token"

KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


@pytest.fixture
def http() -> Iterator[httpx2.Client]:
    clients = [
        SandboxClient(CLIENT_ID, public_key=PUBLIC, key_id="k1"),
        SandboxClient("with-secret", "s3cret"),
    ]
    with Sandbox(clients=clients) as sandbox, sandbox.http_client() as http:
        yield http


def assertion(key: Any = KEY, headers: dict[str, str] | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)


def token_request(http: httpx2.Client, value: str, **extra: str) -> httpx2.Response:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": value,
        **extra,
    }
    return http.post("/token", data=form)


def test_a_valid_assertion_gets_a_token_that_works(http: httpx2.Client) -> None:
    response = token_request(http, assertion(headers={"kid": "k1"}))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    balance = http.get(
        f"/balances/{ACCOUNT_OPERATING}", headers={"Authorization": f"Bearer {token}"}
    )
    assert balance.status_code == 200


def test_a_replayed_jti_is_refused(http: httpx2.Client) -> None:
    value = assertion()
    assert token_request(http, value).status_code == 200
    replay = token_request(http, value)
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_client"
    assert "jti" in replay.json()["error_description"]


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("wrong aud", lambda: assertion(aud="https://elsewhere.example/token")),
        ("expired", lambda: assertion(iat=int(time.time()) - 600, exp=int(time.time()) - 300)),
        ("exp too far", lambda: assertion(exp=int(time.time()) + 3600)),
        ("bad signature", lambda: assertion(key=OTHER_KEY)),
        ("another kid", lambda: assertion(headers={"kid": "k2"})),
        ("iss not the client", lambda: assertion(iss="someone-else")),
        ("sub not the client", lambda: assertion(sub="with-secret", iss="with-secret")),
        ("no jti", lambda: assertion(jti=None)),
        ("no exp", lambda: assertion(exp=None)),
        ("not a jwt", lambda: "not.a.jwt"),
    ],
)
def test_a_bad_assertion_is_invalid_client(http: httpx2.Client, case: str, make: Any) -> None:
    response = token_request(http, make())
    assert response.status_code == 401, (case, response.text)
    assert response.json()["error"] == "invalid_client"


def test_a_wrong_assertion_type_is_invalid_client(http: httpx2.Client) -> None:
    response = token_request(http, assertion(), client_assertion_type="urn:other")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_exactly_one_client_authentication_method(http: httpx2.Client) -> None:
    both = token_request(http, assertion(), client_id="with-secret", client_secret="s3cret")
    assert both.status_code == 400
    assert both.json()["error"] == "invalid_request"
    basic_too = http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(),
        },
        auth=("with-secret", "s3cret"),
    )
    assert basic_too.status_code == 400


def test_a_client_without_a_secret_cannot_use_one(http: httpx2.Client) -> None:
    response = http.post(
        "/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": ""},
    )
    assert response.status_code == 401
    guessed = http.post("/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "x"))
    assert guessed.status_code == 401


def test_tls_client_auth_needs_a_tls_connection(http: httpx2.Client) -> None:
    # client_id alone, with no certificate (in process: no TLS at all).
    response = http.post(
        "/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
