# Generated from tests/_async/test_mtls.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Mutual TLS (RFC 8705) over real TLS: the sandbox serves HTTPS, requires a client certificate,
authenticates ``tls_client_auth`` clients by it and binds their tokens to it.

Certificates are made with ``cryptography`` (tests/certs.py); the server is the sandbox's socket
server with a server ``ssl.SSLContext`` that requires a client certificate."""

from __future__ import annotations

import shutil
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest

from qbank_connect import QBankConnect
from qbank_connect._concurrency import sleep
from qbank_connect.errors import (
    QBankAuthenticationError,
    QBankCertificateError,
    QBankError,
    QBankTLSError,
    QBankTokenError,
)
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
    SandboxClient,
    SandboxServer,
)

from ..aiohttp_bridge import AIOHTTP
from ..certs import PKI, Authority, ClientFiles, client_context
from ..concurrency import gather_threads

MTLS_CLIENT = "mtls-client"
ROTATION_ON_HTTPX2 = (
    "reload_client_cert() rotates the httpx2 pool; the aiohttp backend refuses it "
    "(tests/test_aiohttp.py::test_reload_client_cert_is_refused_on_aiohttp)"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def sandbox(pki: PKI) -> Iterator[Sandbox]:
    registered = pki.good.pem() + pki.successor.pem()  # the current one and its successor
    clients = [
        SandboxClient(MTLS_CLIENT, certificate=registered),
        SandboxClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    ]
    with Sandbox(clients=clients) as sandbox:
        yield sandbox


@pytest.fixture
def server(sandbox: Sandbox, pki: PKI) -> Iterator[SandboxServer]:
    with sandbox.serve(ssl_context=pki.server_context()) as server:
        yield server


@pytest.fixture
def trust_ca(pki: PKI, monkeypatch: pytest.MonkeyPatch) -> None:
    """client_cert= builds its context from the system store: trust the test CA through it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def mtls_client(server: SandboxServer, **options: object) -> QBankConnect:
    options.setdefault("client_id", MTLS_CLIENT)
    options.setdefault("token_auth_method", "tls_client_auth")
    if AIOHTTP:  # nox -s aiohttp: the same proofs over the aiohttp backend's connections
        options.setdefault("http_backend", "aiohttp")
    return QBankConnect(base_url=server.base_url, **options)  # type: ignore[arg-type]


def cert_form(files: ClientFiles, form: str) -> object:
    """``client_cert=`` as a path string, a Path, or a (cert, key) pair."""
    if form == "combined":
        return str(files.combined)
    if form == "path":
        return files.combined
    return (str(files.cert), str(files.key))


@pytest.mark.parametrize("form", ["combined", "path", "pair"])
def test_tls_client_auth_authenticates_by_the_certificate_alone(
    server: SandboxServer, sandbox: Sandbox, pki: PKI, trust_ca: None, form: str
) -> None:
    client_cert = cert_form(pki.good, form)
    # The sandbox knows no secret for this client: only the certificate can authenticate it.
    with mtls_client(server, client_cert=client_cert) as client:
        balance = client.balances.get(ACCOUNT_OPERATING)
        client.accounts.list()
    assert balance.account_id == ACCOUNT_OPERATING
    assert sandbox.token_requests == 1
    # POST /token and both calls went over one connection presenting the certificate.
    assert server.handshakes == [pki.good.thumbprint()]


def test_an_encrypted_key_with_its_password(pki: PKI, trust_ca: None) -> None:
    registered = pki.locked.pem()
    client_cert = (pki.locked.cert, pki.locked.key, PKI.PASSWORD)
    with (
        Sandbox(clients=[SandboxClient(MTLS_CLIENT, certificate=registered)]) as sandbox,
        sandbox.serve(ssl_context=pki.server_context()) as locked_server,
    ):
        with mtls_client(locked_server, client_cert=client_cert) as client:
            assert (client.balances.get(ACCOUNT_OPERATING)).account_id


def test_ssl_context_gives_full_control(server: SandboxServer, pki: PKI) -> None:
    context = pki.client_context(pki.good)  # no SSL_CERT_FILE: the context trusts the CA
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    with mtls_client(server, ssl_context=context) as client:
        assert (client.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING


def test_a_certificate_with_a_client_secret(server: SandboxServer, pki: PKI) -> None:
    # Mutual TLS as transport, the secret as client authentication: the token is not bound.
    with QBankConnect(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        base_url=server.base_url,
        ssl_context=pki.client_context(pki.unregistered),
    ) as client:
        assert (client.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING


def test_private_key_jwt_over_mutual_tls(pki: PKI) -> None:
    # The pairing banks ask for: a transport certificate and a signed assertion.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with (
        Sandbox(clients=[SandboxClient("signer", public_key=public)]) as sandbox,
        sandbox.serve(ssl_context=pki.server_context()) as server,
    ):
        with QBankConnect(
            client_id="signer",
            base_url=server.base_url,
            token_auth_method="private_key_jwt",
            private_key=key,
            ssl_context=pki.client_context(pki.unregistered),
        ) as client:
            assert (client.balances.get(ACCOUNT_OPERATING)).account_id
        assert server.handshakes == [pki.unregistered.thumbprint()]


def test_an_unregistered_certificate_cannot_get_a_token(server: SandboxServer, pki: PKI) -> None:
    with mtls_client(server, ssl_context=pki.client_context(pki.unregistered)) as client:
        with pytest.raises(QBankTokenError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "invalid_client"


def test_a_bound_token_over_another_certificate_is_refused_with_err_auth_003(
    server: SandboxServer, pki: PKI
) -> None:
    # A token issued to the good certificate, presented over a connection with another one.
    with httpx2.Client(verify=pki.client_context(pki.good)) as http:
        issued = http.post(
            server.base_url + "/token",
            data={"grant_type": "client_credentials", "client_id": MTLS_CLIENT},
        )
    assert issued.status_code == 200
    token = issued.json()["access_token"]
    with QBankConnect(
        base_url=server.base_url,
        token=token,
        ssl_context=pki.client_context(pki.unregistered),
    ) as client:
        with pytest.raises(QBankAuthenticationError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "ERR_AUTH_003"
    # With the certificate it is bound to, the same token works.
    with QBankConnect(
        base_url=server.base_url, token=token, ssl_context=pki.client_context(pki.good)
    ) as client:
        assert (client.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING


@pytest.mark.skipif(AIOHTTP, reason=ROTATION_ON_HTTPX2)
def test_rotation_new_connections_use_the_new_certificate_calls_in_flight_finish(
    server: SandboxServer, sandbox: Sandbox, pki: PKI, trust_ca: None, tmp_path: Path
) -> None:
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    shutil.copy(pki.good.cert, cert)
    shutil.copy(pki.good.key, key)
    # No retries: a call cut off by the rotation would fail rather than be sent again.
    with mtls_client(server, client_cert=(cert, key), max_retries=0) as client:
        client.balances.get(ACCOUNT_OPERATING)  # token and connection with the old one
        sandbox.faults.add_latency("listAccounts", seconds=1.0)
        rotated = threading.Event()

        def slow_call() -> int:
            # In flight (waiting for the sandbox) while the certificate is rotated.
            page = client.accounts.list()
            assert rotated.is_set()
            return len(page.data)

        def rotate() -> int:
            while sandbox.faults.injected.get("latency", 0) == 0:
                sleep(0.01)
            shutil.copy(pki.successor.cert, cert)  # the renewed files replace the old ones
            shutil.copy(pki.successor.key, key)
            client.reload_client_cert()
            rotated.set()
            client.balances.get(ACCOUNT_OPERATING)  # a new connection, a new token
            return 0

        results = gather_threads([slow_call, rotate])
        assert results[0] > 0, results
        assert results[1] == 0, results
        client.balances.get(ACCOUNT_OPERATING)
    # The slow call finished on its connection with the old certificate; every later call used
    # the new one, with a token fetched over it (the bound old token was dropped).
    assert server.handshakes == [pki.good.thumbprint(), pki.successor.thumbprint()]
    assert sandbox.token_requests == 2


@pytest.mark.skipif(AIOHTTP, reason=ROTATION_ON_HTTPX2)
def test_a_bad_new_certificate_keeps_the_old_one(
    server: SandboxServer, pki: PKI, trust_ca: None, tmp_path: Path
) -> None:
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    shutil.copy(pki.good.cert, cert)
    shutil.copy(pki.good.key, key)
    with mtls_client(server, client_cert=(cert, key)) as client:
        client.balances.get(ACCOUNT_OPERATING)
        shutil.copy(pki.successor.cert, cert)  # half a rotation: the key is still the old one
        with pytest.raises(QBankCertificateError) as caught:
            client.reload_client_cert()
        assert caught.value.reason == "key_mismatch"
        assert (client.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING
    assert server.handshakes == [pki.good.thumbprint()]


@pytest.mark.skipif(AIOHTTP, reason=ROTATION_ON_HTTPX2)
def test_reload_with_a_new_ssl_context(server: SandboxServer, sandbox: Sandbox, pki: PKI) -> None:
    with mtls_client(server, ssl_context=pki.client_context(pki.good)) as client:
        copy = client.with_options(max_retries=0)
        client.balances.get(ACCOUNT_OPERATING)
        client.reload_client_cert(ssl_context=pki.client_context(pki.successor))
        copy.balances.get(ACCOUNT_OPERATING)  # copies share the connections
    assert server.handshakes == [pki.good.thumbprint(), pki.successor.thumbprint()]
    assert sandbox.token_requests == 2


def test_reload_needs_a_certificate_of_its_own(server: SandboxServer) -> None:
    with QBankConnect(
        client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, base_url=server.base_url
    ) as client:
        with pytest.raises(ValueError, match="client_cert= or ssl_context="):
            client.reload_client_cert()


# -- errors: each says which, none shows key material -------------------------------------------


def _assert_no_key_material(error: BaseException, *files: Path) -> None:
    text = f"{error} {error!r} {error.args!r}"
    for file in files:
        for line in file.read_text().splitlines():
            if line and not line.startswith("-----"):
                assert line not in text
    assert PKI.PASSWORD not in text
    assert "wrong-password" not in text


def test_no_certificate_where_the_server_requires_one(server: SandboxServer, pki: PKI) -> None:
    with QBankConnect(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        base_url=server.base_url,
        ssl_context=pki.client_context(None),
    ) as client:
        with pytest.raises(QBankTLSError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    assert caught.value.reason == "certificate_required"
    assert "requires a client certificate" in str(caught.value)
    assert caught.value.retries_taken == 0  # a refusal is not retried


@pytest.mark.parametrize("which", ["stranger", "expired"])
def test_a_certificate_the_server_refuses(server: SandboxServer, pki: PKI, which: str) -> None:
    files: ClientFiles = getattr(pki, which)
    # ssl_context= skips the client's own expiry check: here the server refuses it.
    with mtls_client(server, ssl_context=pki.client_context(files)) as client:
        with pytest.raises(QBankTLSError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    expected = {"stranger": "certificate_refused", "expired": "certificate_expired"}[which]
    assert caught.value.reason == expected
    assert "refused the client certificate" in str(caught.value)
    if which == "expired":
        assert "expired" in str(caught.value)
    _assert_no_key_material(caught.value, files.key)


def test_an_expired_certificate_is_refused_before_any_connection(
    server: SandboxServer, pki: PKI, trust_ca: None
) -> None:
    with pytest.raises(QBankCertificateError) as caught:
        mtls_client(server, client_cert=(pki.expired.cert, pki.expired.key))
    assert caught.value.reason == "expired"
    assert "expired on" in str(caught.value)
    assert server.handshakes == []


@pytest.mark.parametrize(
    ("case", "reason", "words"),
    [
        ("mismatch", "key_mismatch", "does not match the certificate"),
        ("no_password", "bad_password", "password is missing or wrong"),
        ("wrong_password", "bad_password", "password is missing or wrong"),
        ("missing", "unreadable", "no such file"),
        ("not_pem", "unreadable", "could not be read"),
    ],
)
def test_certificate_files_that_cannot_be_used(
    server: SandboxServer, pki: PKI, trust_ca: None, case: str, reason: str, words: str
) -> None:
    not_pem = pki.folder / "not.pem"
    not_pem.write_text("not a certificate\n")
    client_cert: object = {
        "mismatch": (pki.good.cert, pki.successor.key),
        "no_password": (pki.locked.cert, pki.locked.key),
        "wrong_password": (pki.locked.cert, pki.locked.key, "wrong-password"),
        "missing": (pki.folder / "nowhere.crt", pki.good.key),
        "not_pem": str(not_pem),
    }[case]
    with pytest.raises(QBankCertificateError) as caught:
        mtls_client(server, client_cert=client_cert)
    assert isinstance(caught.value, ValueError)  # bad configuration, raised at construction
    assert caught.value.reason == reason
    assert words in str(caught.value)
    _assert_no_key_material(caught.value, pki.good.key, pki.successor.key, pki.locked.key)
    assert server.handshakes == []


# -- redirects are never followed with a client certificate --------------------------------------


class _Redirecting(BaseHTTPRequestHandler):
    seen: list[str]

    def do_POST(self) -> None:
        self.seen.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._redirect()

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self._redirect()

    def _redirect(self) -> None:
        self.send_response(307)
        self.send_header("Location", "/elsewhere" + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def redirecting(pki: PKI) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Redirecting,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.socket = pki.server_context().wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/v1", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_redirects_are_never_followed(redirecting: tuple[str, list[str]], pki: PKI) -> None:
    base_url, seen = redirecting
    with QBankConnect(
        client_id=MTLS_CLIENT,
        token_auth_method="tls_client_auth",
        base_url=base_url,
        ssl_context=pki.client_context(pki.good),
    ) as client:
        with pytest.raises(QBankError):
            client.balances.get(ACCOUNT_OPERATING)
    assert seen == ["/v1/token"]
    with QBankConnect(
        token="t", base_url=base_url, ssl_context=pki.client_context(pki.good), max_retries=0
    ) as client:
        with pytest.raises(QBankError):
            client.balances.get(ACCOUNT_OPERATING)
    assert seen == ["/v1/token", f"/v1/balances/{ACCOUNT_OPERATING}"]


# -- arguments are checked before any I/O ------------------------------------------------------


def test_tls_client_auth_needs_a_certificate() -> None:
    with pytest.raises(ValueError, match="client_cert="):
        QBankConnect(client_id="cid", token_auth_method="tls_client_auth")


def test_tls_client_auth_takes_no_secret(pki: PKI, trust_ca: None) -> None:
    with pytest.raises(ValueError, match="client_secret cannot be used"):
        QBankConnect(
            client_id="cid",
            client_secret="s",
            token_auth_method="tls_client_auth",
            client_cert=pki.good.combined,
        )


def test_certificate_arguments_that_do_not_go_together(pki: PKI) -> None:
    with pytest.raises(ValueError, match="not both"):
        QBankConnect(
            client_id="cid",
            client_secret="s",
            client_cert=pki.good.combined,
            ssl_context=pki.client_context(),
        )
    with httpx2.Client() as http:
        with pytest.raises(ValueError, match="http_client="):
            QBankConnect(
                client_id="cid", client_secret="s", client_cert=pki.good.combined, http_client=http
            )
    with pytest.raises(ValueError, match="client_cert must be"):
        QBankConnect(client_id="cid", client_secret="s", client_cert=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="token_auth_method must be one of"):
        QBankConnect(client_id="cid", client_secret="s", token_auth_method="mtls")


# -- with_options(ssl_context=/client_cert=): a copy with a certificate of its own -------------


def test_with_options_ssl_context_a_copy_with_its_own_certificate(
    server: SandboxServer, sandbox: Sandbox, pki: PKI
) -> None:
    with mtls_client(server, ssl_context=pki.client_context(pki.good)) as client:
        client.balances.get(ACCOUNT_OPERATING)  # token and connection with the old one
        sandbox.faults.add_latency("listAccounts", seconds=1.0, times=1)
        renewed: list[QBankConnect] = []

        def slow_call() -> int:
            # In flight on the original's connection while the copy is made and used.
            page = client.accounts.list()
            assert renewed
            return len(page.data)

        def copy_and_call() -> int:
            while sandbox.faults.injected.get("latency", 0) == 0:
                sleep(0.01)
            copy = client.with_options(ssl_context=pki.client_context(pki.successor))
            renewed.append(copy)
            copy.balances.get(ACCOUNT_OPERATING)  # its own connection, its own token
            return 0

        results = gather_threads([slow_call, copy_and_call])
        assert results[0] > 0, results
        renewed[0].accounts.list()
        # The original keeps its certificate, connection and token.
        client.balances.get(ACCOUNT_OPERATING)
    # The copy's token was fetched over the copy's connection: bound to the successor, it was
    # never refused (a shared token would get ERR_AUTH_003 and a third token request).
    assert sorted(filter(None, server.handshakes)) == sorted(
        [pki.good.thumbprint(), pki.successor.thumbprint()]
    )
    assert server.handshakes[0] == pki.good.thumbprint()
    assert sandbox.token_requests == 2


def test_with_options_client_cert_files(
    server: SandboxServer, sandbox: Sandbox, pki: PKI, trust_ca: None
) -> None:
    with mtls_client(server, client_cert=pki.good.combined) as client:
        copy = client.with_options(
            client_cert=(pki.successor.cert, pki.successor.key), max_retries=0
        )
        assert copy.max_retries == 0 and client.max_retries == 2
        copy.balances.get(ACCOUNT_OPERATING)
        client.balances.get(ACCOUNT_OPERATING)
        # A copy of the copy (no new certificate) shares the copy's connections and token.
        copy.with_options(timeout=5).accounts.list()
    assert server.handshakes == [pki.successor.thumbprint(), pki.good.thumbprint()]
    assert sandbox.token_requests == 2


def test_with_options_certificate_with_a_client_secret_and_a_fixed_token(
    server: SandboxServer, sandbox: Sandbox, pki: PKI
) -> None:
    # A client with no certificate of its own: the copy gets one (transport only).
    with QBankConnect(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        base_url=server.base_url,
        ssl_context=pki.client_context(None),
    ) as client:
        copy = client.with_options(ssl_context=pki.client_context(pki.unregistered))
        assert (copy.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING
        with pytest.raises(QBankTLSError) as caught:
            client.balances.get(ACCOUNT_OPERATING)  # the original presents none
        assert caught.value.reason == "certificate_required"
    assert server.handshakes == [pki.unregistered.thumbprint()]
    # token=: the copy presents the token it was given, over its own connections.
    with httpx2.Client(verify=pki.client_context(pki.good)) as http:
        issued = http.post(
            server.base_url + "/token",
            data={"grant_type": "client_credentials", "client_id": MTLS_CLIENT},
        )
    token = issued.json()["access_token"]
    with QBankConnect(
        base_url=server.base_url, token=token, ssl_context=pki.client_context(pki.unregistered)
    ) as client:
        copy = client.with_options(ssl_context=pki.client_context(pki.good))
        assert (copy.balances.get(ACCOUNT_OPERATING)).account_id == ACCOUNT_OPERATING


def test_closing_the_client_closes_its_certificate_copies(
    server: SandboxServer, pki: PKI, tmp_path: Path
) -> None:
    from qbank_connect.errors import QBankClosedError

    client = mtls_client(server, ssl_context=pki.client_context(pki.good))
    copy = client.with_options(ssl_context=pki.client_context(pki.successor))
    plain = copy.with_options(timeout=5)  # shares the copy's connections
    copy.balances.get(ACCOUNT_OPERATING)
    client.close()  # the copy's connections too: no socket is left open
    for closed in (copy, plain):
        with pytest.raises(QBankClosedError):
            closed.balances.get(ACCOUNT_OPERATING)
    # Closing a copy closes its own connections only: the client (its journal too) goes on.
    with mtls_client(
        server,
        ssl_context=pki.client_context(pki.good),
        journal=f"sqlite:///{tmp_path / 'journal.db'}",
        journal_key="a journal key of its own: tls_client_auth has no secret",
    ) as other:
        with other.with_options(ssl_context=pki.client_context(pki.successor)) as second:
            second.balances.get(ACCOUNT_OPERATING)
        with pytest.raises(QBankClosedError):
            second.balances.get(ACCOUNT_OPERATING)
        other.balances.get(ACCOUNT_OPERATING)
        assert other.journal is not None
        assert other.journal.pending() == []


def test_with_options_certificate_arguments_are_checked(
    server: SandboxServer, pki: PKI, trust_ca: None
) -> None:
    with mtls_client(server, ssl_context=pki.client_context(pki.good)) as client:
        with pytest.raises(ValueError, match="not both"):
            client.with_options(client_cert=pki.good.combined, ssl_context=pki.client_context())
        with pytest.raises(QBankCertificateError) as caught:
            client.with_options(client_cert=(pki.good.cert, pki.successor.key))
        assert caught.value.reason == "key_mismatch"
        with pytest.raises(QBankCertificateError):
            client.with_options(client_cert=(pki.expired.cert, pki.expired.key))
    with httpx2.Client() as http:
        injected = QBankConnect(client_id="cid", client_secret="s", http_client=http)
        with pytest.raises(ValueError, match="http_client="):
            injected.with_options(ssl_context=pki.client_context(pki.good))
    assert server.handshakes == []


# -- a TLS refusal is configuration: never retried ---------------------------------------------


@pytest.mark.parametrize("which", ["none", "stranger", "untrusted"])
def test_a_tls_refusal_is_not_retried(server: SandboxServer, pki: PKI, which: str) -> None:
    context = {
        "none": lambda: pki.client_context(None),
        "stranger": lambda: pki.client_context(pki.stranger),
        "untrusted": lambda: client_context(Authority.create("Not QBank's CA"), pki.good),
    }[which]()
    expected = {
        "none": "certificate_required",
        "stranger": "certificate_refused",
        "untrusted": "server_untrusted",
    }[which]
    # token=: no POST /token (which never retried a refusal); the call's own loop is tested.
    with QBankConnect(
        base_url=server.base_url, token="fixed", ssl_context=context, max_retries=3
    ) as client:
        with pytest.raises(QBankTLSError) as caught:
            client.balances.get(ACCOUNT_OPERATING)
    assert caught.value.reason == expected
    assert caught.value.retries_taken == 0
    assert server.connections == 1  # exactly one handshake was tried
    assert server.handshakes == []


def test_a_certificate_copy_dropped_unclosed_leaks_no_socket(
    server: SandboxServer, pki: PKI, request: pytest.FixtureRequest
) -> None:
    import contextlib
    import gc

    # trio closes a dropped pool too, and says so: a ResourceWarning about its closer (close
    # the copy, or the client, to avoid it). asyncio and the blocking client close it quietly.
    on_trio = (
        "anyio_backend" in request.fixturenames
        and request.getfixturevalue("anyio_backend") == "trio"
    )
    with mtls_client(server, ssl_context=pki.client_context(pki.good)) as client:
        for _ in range(3):  # a copy per call, never closed: garbage, and its pool with it
            copy = client.with_options(ssl_context=pki.client_context(pki.successor))
            copy.balances.get(ACCOUNT_OPERATING)
            with (
                pytest.warns(ResourceWarning, match="_close_with_owner")
                if on_trio
                else contextlib.nullcontext()
            ):
                del copy
                gc.collect()
            sleep(0.05)  # the event loop runs the dropped pool's closer
        assert len(client._family) == 1  # pyright: ignore[reportPrivateUsage]  # copies gone
        client.balances.get(ACCOUNT_OPERATING)
    gc.collect()
