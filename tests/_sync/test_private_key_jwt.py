# Generated from tests/_async/test_private_key_jwt.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``private_key_jwt`` (RFC 7523 section 2.2): the SDK signs with PyJWT; an Authlib token
endpoint (RFC 7523 server side, on joserfc: another author's JOSE library) and the sandbox verify.

The private key must never show: not in a repr, a log line, an error, a span or a pickle."""

from __future__ import annotations

import json
import logging
import pickle
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwk, jwt
from joserfc.errors import JoseError

from qbank_connect import QBankConnect
from qbank_connect.errors import QBankCertificateError, QBankTokenError
from qbank_connect.sandbox import ACCOUNT_OPERATING, Sandbox, SandboxClient, SandboxServer

from ..mock_api import balance_json
from ..telemetry import Telemetry

CLIENT_ID = "jwt-client"
KEY_ID = "qbank-key-1"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "other": ec.generate_private_key(ec.SECP256R1()),
    }


def private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def import_public(pem: str) -> Any:
    """The public key as a joserfc key (its type said, as joserfc recommends)."""
    loaded = serialization.load_pem_public_key(pem.encode())
    return jwk.import_key(pem, "RSA" if isinstance(loaded, rsa.RSAPublicKey) else "EC")


def key_lines(key: PrivateKey) -> list[str]:
    """The base64 lines of the key's PEM, each a piece of key material to look for."""
    return [line for line in private_pem(key).decode().splitlines() if "-----" not in line]


# -- an Authlib token endpoint ---------------------------------------------------------------


class _AuthlibAssertion(JWTBearerClientAssertion):  # type: ignore[misc]
    """Authlib's RFC 7523 client authentication, with a memory of used jti."""

    def __init__(self, audience: str, public_key: str) -> None:
        super().__init__(validate_jti=True, leeway=5)
        self.audience = audience
        self.public_key = public_key
        self.seen: set[str] = set()

    def get_audiences(self) -> list[str]:
        return [self.audience]

    def validate_jti(self, claims: Any, jti: str) -> bool:
        if jti in self.seen:
            return False
        self.seen.add(jti)
        return True

    def resolve_client_public_key(self, client: Any) -> Any:
        return import_public(self.public_key)

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        # Authlib's own, but with QBank's algorithms: joserfc's default list leaves out PS256.
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=["RS256", "PS256", "ES256"])
        except JoseError as exc:
            raise InvalidClientError(description=exc.description) from exc
        self.verify_claims(token.claims)
        return token.claims


class _Client:
    client_id = CLIENT_ID

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == JWTBearerClientAssertion.CLIENT_AUTH_METHOD and endpoint == "token"


class _Request:
    def __init__(self, form: dict[str, str]) -> None:
        self.form = form
        self.client: Any = None


class AuthlibServer:
    """A token endpoint that authenticates with Authlib and refuses the first bearer call
    (401), so that each test sees two token requests, each with its own assertion."""

    def __init__(self, public_key: str) -> None:
        self.assertions: list[str] = []
        self.refusals: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                server.assertions.append(form.get("client_assertion", ""))
                try:
                    client = server.verifier(_Request(form))(
                        lambda client_id: _Client() if client_id == CLIENT_ID else None
                    )
                except InvalidClientError as exc:
                    server.refusals.append(str(exc.description))
                    self._json(401, {"error": "invalid_client"})
                    return
                assert client is not None and "client_secret" not in form
                self._json(200, {"access_token": "at", "token_type": "Bearer", "expires_in": 600})

            def do_GET(self) -> None:
                if len(server.assertions) < 2:
                    self._json(401, {"error_code": "ERR_AUTH_001", "message": "expired"})
                else:
                    self._json(200, balance_json())

            def _json(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.assertion_checker = _AuthlibAssertion(self.base_url + "/token", public_key)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def verifier(self, request: _Request) -> Any:
        checker = self.assertion_checker
        return lambda query_client: checker(query_client, request)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def authlib_for(keys: dict[str, PrivateKey]) -> Iterator[Any]:
    servers: list[AuthlibServer] = []

    def start(key_name: str) -> AuthlibServer:
        server = AuthlibServer(public_pem(keys[key_name]))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize(
    ("key_name", "alg", "form", "expected_alg"),
    [
        ("rsa", None, "pem_text", "RS256"),
        ("rsa", "PS256", "pem_bytes", "PS256"),
        ("ec", None, "path", "ES256"),
        ("ec", None, "object", "ES256"),
    ],
)
def test_an_authlib_token_endpoint_accepts_the_assertion(
    authlib_for: Any,
    keys: dict[str, PrivateKey],
    tmp_path: Path,
    key_name: str,
    alg: str | None,
    form: str,
    expected_alg: str,
) -> None:
    server: AuthlibServer = authlib_for(key_name)
    key = keys[key_name]
    path = tmp_path / "key.pem"
    path.write_bytes(private_pem(key))
    private_key: Any = {
        "pem_text": private_pem(key).decode(),
        "pem_bytes": private_pem(key),
        "path": path,
        "object": key,
    }[form]
    with QBankConnect(
        client_id=CLIENT_ID,
        base_url=server.base_url,
        token_auth_method="private_key_jwt",
        private_key=private_key,
        private_key_id=KEY_ID,
        private_key_alg=alg,
    ) as client:
        balance = client.balances.get(ACCOUNT_OPERATING)  # 401 once: a second token
    assert balance.account_id
    assert server.refusals == []
    assert len(server.assertions) == 2
    public = import_public(public_pem(key))
    claims = []
    for assertion in server.assertions:
        token = jwt.decode(assertion, public, algorithms=[expected_alg])
        assert token.header["alg"] == expected_alg
        assert token.header["kid"] == KEY_ID
        claims.append(token.claims)
    for claim in claims:
        assert claim["iss"] == claim["sub"] == CLIENT_ID
        assert claim["aud"] == server.base_url + "/token"
        assert 0 < claim["exp"] - claim["iat"] <= 300
    assert claims[0]["jti"] != claims[1]["jti"]


def test_authlib_refuses_a_key_it_does_not_know(
    authlib_for: Any, keys: dict[str, PrivateKey]
) -> None:
    # The negative control: the verifier above does refuse what it should.
    server: AuthlibServer = authlib_for("ec")
    with QBankConnect(
        client_id=CLIENT_ID,
        base_url=server.base_url,
        token_auth_method="private_key_jwt",
        private_key=keys["other"],
    ) as client:
        with pytest.raises(QBankTokenError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    assert caught.value.error_code == "invalid_client"
    assert server.refusals


# -- the sandbox ---------------------------------------------------------------------------------


@pytest.fixture
def served(keys: dict[str, PrivateKey]) -> Iterator[tuple[Sandbox, SandboxServer]]:
    clients = [
        SandboxClient(CLIENT_ID, public_key=public_pem(keys["rsa"]), key_id=KEY_ID),
        SandboxClient("ec-client", public_key=public_pem(keys["ec"])),
    ]
    with Sandbox(clients=clients) as sandbox, sandbox.serve() as server:
        yield sandbox, server


def test_the_sandbox_verifies_assertions_and_a_fresh_jti_each_time(
    served: tuple[Sandbox, SandboxServer], keys: dict[str, PrivateKey]
) -> None:
    sandbox, server = served
    with QBankConnect(
        client_id=CLIENT_ID,
        base_url=server.base_url,
        token_auth_method="private_key_jwt",
        private_key=private_pem(keys["rsa"]),
        private_key_id=KEY_ID,
    ) as client:
        client.balances.get(ACCOUNT_OPERATING)
        sandbox.expire_tokens()  # the next call needs a token, so a new assertion
        client.balances.get(ACCOUNT_OPERATING)
    # The sandbox refuses a jti it saw before: two tokens mean two distinct assertions.
    assert sandbox.token_requests == 2


def test_the_sandbox_refuses_a_key_it_does_not_know(
    served: tuple[Sandbox, SandboxServer], keys: dict[str, PrivateKey]
) -> None:
    _, server = served
    with QBankConnect(
        client_id="ec-client",
        base_url=server.base_url,
        token_auth_method="private_key_jwt",
        private_key=keys["other"],
    ) as client:
        with pytest.raises(QBankTokenError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "invalid_client"


def test_the_private_key_never_shows(
    served: tuple[Sandbox, SandboxServer],
    keys: dict[str, PrivateKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, server = served
    caplog.set_level(logging.DEBUG)
    key = keys["rsa"]
    seen: list[str] = []
    with Telemetry() as otel:
        with QBankConnect(
            client_id=CLIENT_ID,
            base_url=server.base_url,
            token_auth_method="private_key_jwt",
            private_key=private_pem(key).decode(),
            private_key_id=KEY_ID,
        ) as client:
            client.balances.get(ACCOUNT_OPERATING)
            credentials = client._requester.tokens._fetch._credentials  # type: ignore[attr-defined]
            seen += [repr(client), repr(credentials), repr(credentials._signer), str(vars(client))]
            with pytest.raises(TypeError, match="cannot be pickled"):
                pickle.dumps(credentials._signer)
        # A refused assertion: the error, its traceback and its chain.
        with QBankConnect(
            client_id="ec-client",
            base_url=server.base_url,
            token_auth_method="private_key_jwt",
            private_key=private_pem(keys["other"]),
        ) as other:
            with pytest.raises(QBankTokenError) as caught:
                other.balances.get(ACCOUNT_OPERATING)
        seen.append("".join(traceback.format_exception(caught.value)))
        seen += [repr(caught.value), str(caught.value.body)]
        seen += [f"{k}={v}" for k, v in otel.everything_recorded()]
    seen.append(caplog.text)
    assert "POST /token" in caplog.text  # the logs were caught
    text = "\n".join(seen)
    for line in key_lines(key) + key_lines(keys["other"]):
        assert line not in text


def test_a_key_that_cannot_be_used_says_why_and_not_what(
    keys: dict[str, PrivateKey], tmp_path: Path
) -> None:
    encrypted = keys["ec"].private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    garbage = b"-----BEGIN PRIVATE KEY-----\nAAAAnotakey\n-----END PRIVATE KEY-----\n"
    for value, reason in (
        (encrypted, "bad_password"),
        (garbage, "unreadable"),
        (tmp_path / "missing.pem", "unreadable"),
    ):
        with pytest.raises(QBankCertificateError) as caught:
            QBankConnect(
                client_id=CLIENT_ID, token_auth_method="private_key_jwt", private_key=value
            )
        assert caught.value.reason == reason
        assert "AAAA" not in str(caught.value)
        for line in encrypted.decode().splitlines()[1:-1]:
            assert line not in "".join(traceback.format_exception(caught.value))


# -- arguments are checked before any I/O ------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs private_key="),
        ({"client_secret": "s", "private_key": "rsa"}, "client_secret cannot be used"),
        ({"private_key": "rsa", "private_key_alg": "ES256"}, "does not fit this key"),
        ({"private_key": "ec", "private_key_alg": "PS256"}, "does not fit this key"),
        ({"private_key": "rsa", "private_key_id": ""}, "private_key_id must be"),
        ({"private_key": "small_rsa"}, "2048 bits"),
        ({"private_key": "p384"}, "EC P-256"),
        ({"private_key": 42}, "private_key must be PEM"),
    ],
)
def test_bad_arguments(keys: dict[str, PrivateKey], options: dict[str, Any], message: str) -> None:
    named = {
        "rsa": keys["rsa"],
        "ec": keys["ec"],
        "small_rsa": rsa.generate_private_key(public_exponent=65537, key_size=1024),
        "p384": ec.generate_private_key(ec.SECP384R1()),
    }
    if isinstance(options.get("private_key"), str):
        options["private_key"] = named[options["private_key"]]
    with pytest.raises(ValueError, match=message):
        QBankConnect(client_id=CLIENT_ID, token_auth_method="private_key_jwt", **options)


def test_private_key_needs_its_method(keys: dict[str, PrivateKey]) -> None:
    for name in ("private_key", "private_key_id", "private_key_alg"):
        value = keys["rsa"] if name == "private_key" else "x"
        with pytest.raises(ValueError, match=f"{name}= is for token_auth_method='private_key_jwt'"):
            QBankConnect(client_id=CLIENT_ID, client_secret="s", **{name: value})
    with pytest.raises(ValueError, match="cannot be used with token="):
        QBankConnect(token="t", private_key=keys["rsa"])
    with pytest.raises(ValueError, match="token_cache= seals tokens"):
        QBankConnect(
            client_id=CLIENT_ID,
            token_auth_method="private_key_jwt",
            private_key=keys["rsa"],
            token_cache="sqlite:///unused.db",
        )


def test_a_secret_left_in_the_environment_is_not_used(
    served: tuple[Sandbox, SandboxServer],
    keys: dict[str, PrivateKey],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, server = served
    monkeypatch.setenv("QBANK_CLIENT_SECRET", "leftover")  # read by the secret methods only
    with QBankConnect(
        client_id="ec-client",
        base_url=server.base_url,
        token_auth_method="private_key_jwt",
        private_key=keys["ec"],
    ) as client:
        # The sandbox answers 400 to two methods at once: one assertion alone gets a token.
        assert (client.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING
