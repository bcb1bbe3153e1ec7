"""The sandbox over a real socket: keep-alive, 1,000 concurrent clients, clean shutdown, CLI."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx2
import pytest

from qbank_connect import QBankConnect
from qbank_connect.errors import QBankTLSError, QBankTokenError
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from ..certs import PKI, cert_pem, key_pem
from ._helpers import get_token, new_key, transfer_body

SRC = Path(__file__).resolve().parents[2] / "src"


def test_base_url_and_keep_alive(sandbox: Sandbox) -> None:
    with sandbox.serve(host="127.0.0.1", port=0) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        connections = 0

        def count(event: str, info: dict[str, object]) -> None:
            nonlocal connections
            if event == "connection.connect_tcp.complete":
                connections += 1

        with httpx2.Client(base_url=server.base_url) as http:
            token = get_token(http)
            for _ in range(20):
                response = http.get(
                    "/accounts",
                    headers={"Authorization": f"Bearer {token}"},
                    extensions={"trace": count},
                )
                assert response.status_code == 200
                assert response.http_version == "HTTP/1.1"
        assert connections <= 1  # every request after the token call reused one connection


def test_close_with_idle_keep_alive_connections_is_prompt(sandbox: Sandbox) -> None:
    before = set(threading.enumerate())  # other sandboxes' (fixtures of other tests, xdist)
    server = sandbox.serve()
    clients = [httpx2.Client(base_url=server.base_url) for _ in range(5)]
    try:
        for client in clients:
            assert (
                client.post("/token", data={"grant_type": "client_credentials"}).status_code == 401
            )
        started = time.monotonic()
        server.close()
        assert time.monotonic() - started < 2.0
        with pytest.raises(httpx2.TransportError):
            clients[0].get("/accounts")
        server.close()  # idempotent
    finally:
        for client in clients:
            client.close()
    # The threads this server started are gone. (Threads of other sandboxes in this process,
    # e.g. under xdist, and late work other tests' injected latency left running, are theirs.)
    assert not [
        t
        for t in set(threading.enumerate()) - before
        if t.name.startswith("qbank-sandbox") and t.name != "qbank-sandbox-late-work"
    ]


def test_one_thousand_concurrent_keep_alive_clients(sandbox: Sandbox) -> None:
    count = 1000
    with sandbox.serve() as server:
        with httpx2.Client(base_url=server.base_url) as http:
            token = get_token(http)
        request = (
            f"GET /v1/accounts?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()

        async def main() -> list[int]:
            connected = 0
            all_connected = asyncio.Event()

            async def one() -> list[int]:
                nonlocal connected
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                connected += 1
                if connected == count:
                    all_connected.set()
                await asyncio.wait_for(all_connected.wait(), 30)
                statuses = []
                try:
                    for _ in range(2):  # two requests on the same connection
                        writer.write(request)
                        await writer.drain()
                        status_line = await reader.readline()
                        statuses.append(int(status_line.split()[1]))
                        length = 0
                        while (line := await reader.readline()) not in (b"\r\n", b""):
                            name, _, value = line.decode().partition(":")
                            if name.lower() == "content-length":
                                length = int(value)
                        await reader.readexactly(length)
                finally:
                    writer.close()
                    await writer.wait_closed()
                return statuses

            results = await asyncio.gather(*(one() for _ in range(count)))
            return [s for r in results for s in r]

        started = time.monotonic()
        statuses = asyncio.run(main())
        assert statuses == [200] * (2 * count)
        assert time.monotonic() - started < 30


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(SRC), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "qbank_connect.sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            return process, "".join(lines)
    process.kill()
    process.communicate()
    raise AssertionError("the CLI did not start: " + "".join(lines))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_and_stops_cleanly(sig: signal.Signals) -> None:
    process, banner = _start_cli("--token-ttl", "120")
    try:
        assert DEMO_CLIENT_ID in banner and DEMO_CLIENT_SECRET in banner
        base_url = banner.split("listening on ")[1].split()[0]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        with httpx2.Client(base_url=base_url) as http:
            response = http.post(
                "/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": DEMO_CLIENT_ID,
                    "client_secret": DEMO_CLIENT_SECRET,
                },
            )
            assert response.json()["expires_in"] == 120
            http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            assert (
                http.post(
                    "/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()}
                ).status_code
                == 201
            )
            process.send_signal(sig)
            stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "sandbox stopped" in stdout
    assert "Traceback" not in stderr


# -- HTTPS and mutual TLS from the command line ---------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    folder = tmp_path_factory.mktemp("cli-pki")
    pki = PKI.create(folder)
    certificate, key = pki.authority.issue("127.0.0.1", server=True)
    (folder / "server.crt").write_bytes(cert_pem(certificate))
    (folder / "server.key").write_bytes(key_pem(key))
    return pki


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    return stdout


def test_cli_serves_https_and_requires_a_client_certificate(pki: PKI) -> None:
    folder = pki.folder
    process, banner = _start_cli(
        "--tls-cert",
        str(folder / "server.crt"),
        "--tls-key",
        str(folder / "server.key"),
        "--client-ca",
        str(pki.ca_file),
        "--tls-client",
        f"mtls-cli={pki.good.cert}",
    )
    try:
        base_url = banner.split("listening on ")[1].split()[0]
        assert base_url.startswith("https://127.0.0.1:") and base_url.endswith("/v1")
        assert "client certificates from" in banner and "mtls-cli" in banner
        # tls_client_auth: the certificate registered with --tls-client authenticates alone.
        with QBankConnect(
            client_id="mtls-cli",
            token_auth_method="tls_client_auth",
            base_url=base_url,
            ssl_context=pki.client_context(pki.good),
        ) as client:
            assert client.balances.get(ACCOUNT_OPERATING).account_id == ACCOUNT_OPERATING
            answer = client.request("GET", f"/balances/{ACCOUNT_OPERATING}")
            assert answer["account_id"] == ACCOUNT_OPERATING
        # The demo secret over mutual TLS, with a certificate of the CA registered for no one.
        with QBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=base_url,
            ssl_context=pki.client_context(pki.unregistered),
        ) as client:
            payment = client.transfers.create(
                {
                    "source_account_id": ACCOUNT_OPERATING,
                    "destination_account_id": "acc_payroll",
                    "amount": Decimal("1.00"),
                }
            )
            assert payment.status.value == "P_COMPLETED"
        # No certificate, or one of another CA: the handshake is refused.
        for context, reason in (
            (pki.client_context(None), "certificate_required"),
            (pki.client_context(pki.stranger), "certificate_refused"),
        ):
            with QBankConnect(
                client_id=DEMO_CLIENT_ID,
                client_secret=DEMO_CLIENT_SECRET,
                base_url=base_url,
                ssl_context=context,
            ) as client:
                with pytest.raises(QBankTLSError) as caught:
                    client.balances.get(ACCOUNT_OPERATING)
                assert caught.value.reason == reason
        # An unregistered certificate cannot authenticate by itself.
        with (
            QBankConnect(
                client_id="mtls-cli",
                token_auth_method="tls_client_auth",
                base_url=base_url,
                ssl_context=pki.client_context(pki.unregistered),
            ) as client,
            pytest.raises(QBankTokenError),
        ):
            client.balances.get(ACCOUNT_OPERATING)
        assert "sandbox stopped" in _stop(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_cli_serves_https_without_client_certificates(pki: PKI) -> None:
    combined = pki.folder / "server.pem"
    combined.write_bytes(
        (pki.folder / "server.crt").read_bytes() + (pki.folder / "server.key").read_bytes()
    )
    process, banner = _start_cli("--tls-cert", str(combined))  # the key in the same file
    try:
        base_url = banner.split("listening on ")[1].split()[0]
        assert "client certificates" not in banner
        with QBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=base_url,
            ssl_context=pki.client_context(None),
        ) as client:
            assert client.balances.get(ACCOUNT_OPERATING).account_id == ACCOUNT_OPERATING
        _stop(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--client-ca", "ca.pem"], "need --tls-cert"),
        (
            ["--tls-cert", "server.crt", "--tls-key", "server.key", "--tls-client", "x=good.crt"],
            "--tls-client needs --client-ca",
        ),
        (["--tls-cert", "nowhere.crt"], "No such file"),
        (
            [
                "--tls-cert",
                "server.crt",
                "--tls-key",
                "server.key",
                "--client-ca",
                "ca.pem",
                "--tls-client",
                "no-equals-sign",
            ],
            "CLIENT_ID=CERT_PEM",
        ),
    ],
)
def test_cli_tls_flags_are_checked(pki: PKI, args: list[str], words: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run(
        [sys.executable, "-m", "qbank_connect.sandbox", "--port", "0", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=pki.folder,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr
