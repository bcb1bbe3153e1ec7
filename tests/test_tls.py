"""TLS: the default pool trusts the system store (or ``SSL_CERT_FILE``); a corporate CA works.

A CA and a server certificate for 127.0.0.1 are made here with ``cryptography``; a local HTTPS
server answers as QBank would for a token and a balance."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from qbank_connect import QBankConnect
from qbank_connect.errors import QBankConnectionError

from .mock_api import balance_json


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


class _QBank(BaseHTTPRequestHandler):
    def _answer(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._answer({"access_token": "tls-token", "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self) -> None:
        self._answer(balance_json())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("QBank Test Corporate CA", ca_key, None, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("127.0.0.1", key, ca.subject, ca_key, ca=False)
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _QBank)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v1", ca_file
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_given_the_corporate_ca_reaches_the_server(https: tuple[str, Path]) -> None:
    base_url, ca_file = https
    verify = ssl.create_default_context(cafile=str(ca_file))
    with (
        httpx2.Client(verify=verify) as http,
        QBankConnect(
            client_id="id", client_secret="secret", base_url=base_url, http_client=http
        ) as client,
    ):
        assert client.balances.get("acc_operating").account_id == "acc_operating"


def test_without_the_ca_the_certificate_is_refused(https: tuple[str, Path]) -> None:
    base_url, _ = https
    with (
        QBankConnect(client_id="id", client_secret="secret", base_url=base_url) as client,
        pytest.raises(QBankConnectionError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"),
    ):
        client.with_options(max_retries=0).balances.get("acc_operating")


@pytest.mark.parametrize("trusted", [True, False])
def test_ssl_cert_file_is_trusted_by_the_default_pool(
    https: tuple[str, Path], trusted: bool
) -> None:
    # A fresh process: the shared TLS context is built once per process, on first use.
    base_url, ca_file = https
    code = (
        "from qbank_connect import QBankConnect\n"
        f"c = QBankConnect(client_id='id', client_secret='s', base_url={base_url!r}, max_retries=0)\n"
        "print(c.balances.get('acc_operating').account_id)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSL_CERT")}
    if trusted:
        env["SSL_CERT_FILE"] = str(ca_file)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    if trusted:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "acc_operating"
    else:
        assert result.returncode == 1
        # A QBankConnectionError naming the cause (and how to trust a corporate CA).
        assert "qbank_connect.errors.QBankTLSError" in result.stderr
        assert "server certificate is not trusted" in result.stderr
