# Generated from tests/_async/test_hooks_tls.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Hooks on clients that hold key material: a private_key_jwt signing key, a client
certificate's (encrypted) key. Nothing a hook is given reaches them; and ``client.request()``
works over mutual TLS with certificate-bound tokens, hooks and all."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from qbank_connect import CallInfo, QBankConnect
from qbank_connect.errors import QBankAuthenticationError, QBankError
from qbank_connect.models import Payment
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    Sandbox,
    SandboxClient,
    SandboxServer,
)

from ..certs import PKI
from ..reachable import reachable, texts

MTLS_CLIENT = "mtls-client"
SIGNER = "signer"
TRANSFER = {
    "source_account_id": ACCOUNT_OPERATING,
    "destination_account_id": ACCOUNT_PAYROLL,
    "amount": "10.00",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sandbox(pki: PKI, signing_key: rsa.RSAPrivateKey) -> Iterator[Sandbox]:
    public = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    clients = [
        SandboxClient(
            MTLS_CLIENT, certificate=pki.good.pem() + pki.successor.pem() + pki.locked.pem()
        ),
        SandboxClient(SIGNER, public_key=public, key_id="k1"),
    ]
    with Sandbox(clients=clients) as sandbox:
        yield sandbox


@pytest.fixture
def server(sandbox: Sandbox, pki: PKI) -> Iterator[SandboxServer]:
    with sandbox.serve(ssl_context=pki.server_context()) as server:
        yield server


@pytest.fixture
def trust_ca(pki: PKI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, CallInfo]] = []

    def hooks(self) -> dict[str, list[Any]]:
        def hook(event: str) -> Any:
            def record(info: CallInfo) -> None:
                self.seen.append((event, info))

            return record

        return {event: [hook(event)] for event in ("request", "response", "error")}


def _pem_body(pem: bytes | str) -> list[str]:
    """The base64 lines of a PEM key: any of them in a text is key material."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    return [line for line in text.splitlines() if line and not line.startswith("-----")]


def _issued_tokens(sandbox: Sandbox) -> list[str]:
    # The sandbox's own books (private): the values a leak would show.
    return list(sandbox._app.tokens.tokens)  # pyright: ignore[reportPrivateUsage]


def _assert_nothing_secret(
    recorder: Recorder, client: QBankConnect, secrets: list[str], *holders: type
) -> None:
    assert {event for event, _ in recorder.seen} == {"request", "response", "error"}
    # The walk finds what it looks for where it is: the client holds its connections' context.
    assert any(isinstance(obj, ssl.SSLContext) for obj in reachable(client))
    for _, info in recorder.seen:
        objects = reachable(info)
        # No object that holds or leads to key material: the client, its connections, its TLS
        # context, its credentials or key objects.
        for obj in objects:
            assert not isinstance(obj, (QBankConnect, ssl.SSLContext, *holders)), obj
            assert type(obj).__module__.split(".")[0] != "cryptography", obj
            assert "Credentials" not in type(obj).__name__, obj
            assert "TLSSettings" not in type(obj).__name__, obj
        text = texts(objects)
        assert "Bearer" not in text and "Authorization" not in text.title()
        for secret in secrets:
            assert secret not in text


def test_call_info_never_reaches_a_private_key_jwt_key(
    server: SandboxServer, sandbox: Sandbox, pki: PKI, signing_key: rsa.RSAPrivateKey
) -> None:
    pem = signing_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    recorder = Recorder()
    sandbox.faults.fail_next("createTransfer", times=1, status=503)  # an error hook, a retry
    with QBankConnect(
        client_id=SIGNER,
        base_url=server.base_url,
        token_auth_method="private_key_jwt",
        private_key=pem,  # PEM text: had it been kept reachable, the walk would find its lines
        private_key_id="k1",
        ssl_context=pki.client_context(pki.unregistered),  # and a transport certificate
        hooks=recorder.hooks(),
    ) as client:
        client.balances.get(ACCOUNT_OPERATING)
        client.transfers.create(TRANSFER)
        client.request("GET", "/accounts")
        with pytest.raises(QBankError):
            client.request("GET", "/accounts/acc_nowhere")
        secrets = _pem_body(pem) + _issued_tokens(sandbox)
        assert len(secrets) > 20
        _assert_nothing_secret(recorder, client, secrets, type(signing_key))


def test_call_info_never_reaches_a_client_certificate_key(
    server: SandboxServer, sandbox: Sandbox, pki: PKI, trust_ca: None
) -> None:
    recorder = Recorder()
    sandbox.faults.fail_next("createTransfer", times=1, status=503)
    with QBankConnect(
        client_id=MTLS_CLIENT,
        base_url=server.base_url,
        token_auth_method="tls_client_auth",
        client_cert=(pki.locked.cert, pki.locked.key, PKI.PASSWORD),  # an encrypted key
        hooks=recorder.hooks(),
    ) as client:
        client.balances.get(ACCOUNT_OPERATING)
        client.transfers.create(TRANSFER)
        copy = client.with_options(ssl_context=pki.client_context(pki.good))
        copy.request("GET", "/accounts")
        with pytest.raises(QBankError):
            client.request("GET", "/accounts/acc_nowhere")
        secrets = [PKI.PASSWORD, *_pem_body(pki.locked.key.read_bytes())]
        secrets += _pem_body(pki.good.key.read_bytes()) + _issued_tokens(sandbox)
        _assert_nothing_secret(recorder, client, secrets)
    assert server.handshakes == [pki.locked.thumbprint(), pki.good.thumbprint()]


def test_client_request_over_mutual_tls_with_bound_tokens(
    server: SandboxServer, sandbox: Sandbox, pki: PKI, tmp_path: Path
) -> None:
    recorder = Recorder()
    with QBankConnect(
        client_id=MTLS_CLIENT,
        base_url=server.base_url,
        token_auth_method="tls_client_auth",
        ssl_context=pki.client_context(pki.good),
        journal=f"sqlite:///{tmp_path / 'journal.db'}",
        journal_key="a journal key of its own: tls_client_auth has no secret",
        hooks=recorder.hooks(),
    ) as client:
        balance = client.request("GET", f"/balances/{ACCOUNT_OPERATING}")
        assert balance["account_id"] == ACCOUNT_OPERATING
        payment = client.request(
            "POST", "/transfers", json=TRANSFER, reference="sweep:1", cast_to=Payment
        )
        assert payment.status == "P_COMPLETED"
        # The same reference is answered from the journal: one payment, not two.
        again = client.request(
            "POST", "/transfers", json=TRANSFER, reference="sweep:1", cast_to=Payment
        )
        assert again.id == payment.id
        assert len(sandbox.payments_by_key()) == 1
        assert sandbox.token_requests == 1  # one token, bound to the good certificate
        # Rotation: the bound token is dropped, the next call fetches one over the new cert.
        client.reload_client_cert(ssl_context=pki.client_context(pki.successor))
        client.request("GET", "/accounts")
        assert sandbox.token_requests == 2
        # A copy with another certificate gets its own bound token over its own connection.
        copy = client.with_options(ssl_context=pki.client_context(pki.good))
        assert (copy.request("GET", "/accounts"))["data"]
        assert sandbox.token_requests == 3
    assert server.handshakes == [
        pki.good.thumbprint(),
        pki.successor.thumbprint(),
        pki.good.thumbprint(),
    ]
    operations = [info.operation for event, info in recorder.seen if event == "request"]
    # The journal's answer to the repeated reference is a call too (its request hook ran).
    assert operations == [
        "getBalance",
        "createTransfer",
        "createTransfer",
        "listAccounts",
        "listAccounts",
    ]
    # A bound token presented over another certificate: the contract's 401, through request().
    token = _issued_tokens(sandbox)[0]
    with QBankConnect(
        base_url=server.base_url, token=token, ssl_context=pki.client_context(pki.unregistered)
    ) as stranger:
        with pytest.raises(QBankAuthenticationError) as caught:
            stranger.request("GET", "/accounts")
    assert caught.value.error_code == "ERR_AUTH_003"


def test_an_ec_signing_key_is_not_reachable_either(server: SandboxServer, pki: PKI) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    recorder = Recorder()
    with (
        Sandbox(clients=[SandboxClient("ec-signer", public_key=public)]) as sandbox,
        sandbox.serve(ssl_context=pki.server_context()) as ec_server,
    ):
        sandbox.faults.fail_next("getBalance", times=1, status=503)
        with QBankConnect(
            client_id="ec-signer",
            base_url=ec_server.base_url,
            token_auth_method="private_key_jwt",
            private_key=key,  # a key object
            ssl_context=pki.client_context(pki.unregistered),
            hooks=recorder.hooks(),
        ) as client:
            client.balances.get(ACCOUNT_OPERATING)
            _assert_nothing_secret(recorder, client, _issued_tokens(sandbox), type(key))
