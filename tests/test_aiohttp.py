"""The aiohttp backend's own promises, over real loopback sockets: timeouts named as on httpx2,
TLS with a corporate CA and a client certificate, proxies from the environment, closing, fork,
trio and the blocking client refused clearly. (The shared suites run on it too: nox -s aiohttp.)
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import httpx2
import pytest

from qbank_connect import AsyncQBankConnect, QBankConnect
from qbank_connect._aiohttp import AiohttpTransport
from qbank_connect.errors import (
    QBankClosedError,
    QBankConnectionError,
    QBankTimeoutError,
    QBankTLSError,
)

from .mock_api import balance_json
from .raw_server import RawServer, http_response
from .test_tls import _certificate

BALANCE = json.dumps(balance_json()).encode()


class _Balances(BaseHTTPRequestHandler):
    """Answers every GET with a balance, keeping connections alive; records client ports."""

    protocol_version = "HTTP/1.1"
    ports: list[int]

    def do_GET(self) -> None:
        self.ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BALANCE)))
        self.end_headers()
        self.wfile.write(BALANCE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def balances() -> Iterator[tuple[str, list[int]]]:
    ports: list[int] = []
    handler = type("Handler", (_Balances,), {"ports": ports})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", ports
    finally:
        server.shutdown()
        server.server_close()


def client_for(base_url: str, **options: Any) -> AsyncQBankConnect:
    options.setdefault("max_retries", 0)
    return AsyncQBankConnect(token="static-token", base_url=base_url, **options)


# -- choosing the backend ----------------------------------------------------------------------


def test_the_blocking_client_refuses_aiohttp_and_names_the_async_client() -> None:
    with pytest.raises(ValueError, match=r"AsyncQBankConnect\(http_backend='aiohttp'\)"):
        QBankConnect(token="t", http_backend="aiohttp")  # type: ignore[arg-type]


def test_a_wrong_backend_or_a_mismatched_client_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="http_backend must be 'httpx2' or 'aiohttp'"):
        AsyncQBankConnect(token="t", http_backend="requests")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"takes an aiohttp\.ClientSession"):
        AsyncQBankConnect(token="t", http_backend="aiohttp", http_client=httpx2.AsyncClient())

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(ValueError, match="use http_backend='aiohttp'"):
                AsyncQBankConnect(token="t", http_backend="httpx2", http_client=session)
            with pytest.raises(ValueError, match="blocking QBankConnect sends with httpx2"):
                QBankConnect(token="t", http_client=session)  # type: ignore[arg-type]

    asyncio.run(main())


def test_on_trio_the_error_says_to_use_the_default_backend(
    balances: tuple[str, list[int]],
) -> None:
    trio = pytest.importorskip("trio")
    client = client_for(balances[0], http_backend="aiohttp")

    async def main() -> None:
        with pytest.raises(RuntimeError, match=r"asyncio only.*httpx2, the default"):
            await client.balances.get("acc_operating")

    trio.run(main)
    assert balances[1] == []


# -- closing --------------------------------------------------------------------------------------


def test_its_own_session_is_closed_and_a_given_one_never(balances: tuple[str, list[int]]) -> None:
    async def main() -> None:
        client = client_for(balances[0], http_backend="aiohttp")
        await client.balances.get("acc_operating")
        transport = client._requester.http._transport
        assert isinstance(transport, AiohttpTransport) and transport._owned is not None
        session = transport._owned[2]
        await client.aclose()
        assert session.closed and transport._owned is None
        with pytest.raises(QBankClosedError):
            await client.balances.get("acc_operating")

        async with aiohttp.ClientSession() as yours:
            client = client_for(balances[0], http_client=yours)  # aiohttp implied
            balance = await client.balances.get("acc_operating")
            await client.aclose()
            assert balance.account_id == "acc_operating" and not yours.closed
            with pytest.raises(QBankClosedError):
                await client.balances.get("acc_operating")

    asyncio.run(main())  # -W error::ResourceWarning: an unclosed session would fail here


def test_a_client_left_open_is_closed_with_its_event_loop(balances: tuple[str, list[int]]) -> None:
    client = client_for(balances[0], http_backend="aiohttp")
    for _ in range(2):  # two loops, one session each, each closed as its loop ends
        asyncio.run(client.balances.get("acc_operating"))
    assert len(balances[1]) == 2 and balances[1][0] != balances[1][1]


# -- timeouts: the same named errors as on httpx2 ------------------------------------------------


def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
        thread.start()
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        client = client_for(base_url, http_backend="aiohttp", timeout=httpx2.Timeout(5.0, read=0.2))

        async def main() -> None:
            async with client:
                with pytest.raises(QBankTimeoutError, match=r"GET /v1/balances/acc_operating "
                                   r"timed out \(ReadTimeout\)") as info:  # fmt: skip
                    await client.balances.get("acc_operating")
            assert isinstance(info.value, QBankConnectionError)
            assert info.value.request is not None and info.value.request.method == "GET"

        asyncio.run(main())
        thread.join(5)
        for connection in accepted:
            connection.close()


def test_a_listener_that_never_accepts_is_a_connect_timeout() -> None:
    # A full accept queue: the kernel drops further SYNs, so connecting hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    client = client_for(
        f"http://127.0.0.1:{port}/v1", http_backend="aiohttp", timeout=httpx2.Timeout(0.3)
    )

    async def main() -> None:
        async with client:
            with pytest.raises(QBankTimeoutError, match=r"timed out \(ConnectTimeout\)"):
                await client.balances.get("acc_operating")

    try:
        asyncio.run(main())
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_waiting_for_a_free_connection_of_the_pool_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        held: list[socket.socket] = []
        threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"

        async def main() -> None:
            connector = aiohttp.TCPConnector(limit=1)  # your session: one connection
            async with aiohttp.ClientSession(connector=connector) as session:
                slow = client_for(base_url, http_client=session, timeout=httpx2.Timeout(5.0))
                fast = client_for(base_url, http_client=session, timeout=httpx2.Timeout(0.2))
                first = asyncio.ensure_future(slow.balances.get("acc_operating"))
                await asyncio.sleep(0.1)  # the first call holds the only connection
                with pytest.raises(QBankTimeoutError, match=r"\(ConnectTimeout\)"):
                    await fast.balances.get("acc_operating")
                first.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await first

        asyncio.run(main())
        for connection in held:
            connection.close()


# -- TLS: a corporate CA, a client certificate ---------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("QBank Test Corporate CA", ca_key, None, ca_key, ca=True)
    files: dict[str, Path] = {"ca": folder / "ca.pem"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate("127.0.0.1", key, ca.subject, ca_key, ca=False)
        files[name] = folder / f"{name}.pem"
        files[name].write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return files


@pytest.fixture
def mtls(pki: dict[str, Path]) -> Iterator[str]:
    """An HTTPS server for 127.0.0.1 that requires a client certificate of the same CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server"])
    context.load_verify_locations(pki["ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    ports: list[int] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Balances,), {"ports": ports}))
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


# Python 3.10's asyncio leaves the SSL transport of a refused handshake to its __del__, which
# warns once collected (fixed in 3.11's asyncio SSL rewrite); nothing of ours is left open.
@pytest.mark.filterwarnings("ignore:Exception ignored in.*_SSLProtocolTransport")
def test_the_ssl_context_the_client_builds_carries_the_ca_and_the_client_certificate(
    mtls: str, pki: dict[str, Path]
) -> None:
    """What ``ssl_context=``/``client_cert=`` give the client reaches aiohttp as is."""
    corporate = ssl.create_default_context(cafile=str(pki["ca"]))
    with_cert = ssl.create_default_context(cafile=str(pki["ca"]))
    with_cert.load_cert_chain(pki["client"])

    async def get(transport: AiohttpTransport) -> int | None:
        try:
            response, failure = await transport.request(
                "GET", mtls + "/balances/acc_operating", headers={}, timeout={"read": 5.0}
            )
            if failure is not None:
                raise failure
            assert response is not None
            return response.status_code
        finally:
            await transport.aclose()

    assert asyncio.run(get(AiohttpTransport(ssl_context=with_cert))) == 200
    with pytest.raises(QBankConnectionError):  # the server asks for a certificate
        asyncio.run(get(AiohttpTransport(ssl_context=corporate)))
    with pytest.raises(QBankTLSError, match="server certificate is not trusted") as refused:
        asyncio.run(get(AiohttpTransport()))  # the system's CAs do not know this one
    assert refused.value.reason == "server_untrusted"  # named as on the httpx2 backend


def test_a_session_of_yours_with_the_corporate_ca_and_certificate(
    mtls: str, pki: dict[str, Path]
) -> None:
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    context.load_cert_chain(pki["client"])

    async def main() -> str:
        connector = aiohttp.TCPConnector(ssl=context)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = client_for(mtls, http_client=session)
            return (await client.balances.get("acc_operating")).account_id

    assert asyncio.run(main()) == "acc_operating"


# -- proxies from the environment, as httpx2 reads them ------------------------------------------


def test_proxies_come_from_the_environment_as_httpx2_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with RawServer() as proxy:
        proxy.answer = http_response("200 OK", BALANCE, {"Content-Type": "application/json"})
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = client_for("http://qbank.invalid/v1", http_backend="aiohttp")

        async def main() -> None:
            async with client:
                await client.balances.get("acc_operating")

        asyncio.run(main())
        (request,) = proxy.requests
        assert request.startswith(b"GET http://qbank.invalid/v1/balances/acc_operating HTTP/1.1")

        monkeypatch.setenv("NO_PROXY", "qbank.invalid")  # the same host, now bypassing it
        bypass = client_for("http://qbank.invalid/v1", http_backend="aiohttp")

        async def direct() -> None:
            async with bypass:
                with pytest.raises(QBankConnectionError):  # straight to a host that isn't
                    await bypass.balances.get("acc_operating")

        asyncio.run(direct())
        assert len(proxy.requests) == 1


# -- fork -------------------------------------------------------------------------------------------


def _child(client: AsyncQBankConnect, conn: Connection) -> None:
    try:
        conn.send(asyncio.run(client.balances.get("acc_operating")).account_id)
    except BaseException as exc:
        conn.send(f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def test_a_forked_child_uses_its_own_connections_and_leaves_the_parents(
    balances: tuple[str, list[int]],
) -> None:
    base_url, ports = balances
    client = client_for(base_url, http_backend="aiohttp")
    loop = asyncio.new_event_loop()  # stays open across the fork, its session too
    try:
        loop.run_until_complete(client.balances.get("acc_operating"))
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(client, sender))
        child.start()
        sender.close()
        assert receiver.poll(30) and receiver.recv() == "acc_operating"
        child.join(30)
        assert child.exitcode == 0
        loop.run_until_complete(client.balances.get("acc_operating"))
        loop.run_until_complete(client.aclose())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    parent_first, in_child, parent_after = ports
    assert in_child != parent_first and parent_after == parent_first


def test_reload_client_cert_is_refused_on_aiohttp(tmp_path: Path) -> None:
    """Rotation swaps the httpx2 pool under calls in flight; aiohttp's session cannot be swapped
    so, so it is refused with the way out named (a with_options copy), nothing half-rotated."""
    from .certs import PKI

    pki = PKI.create(tmp_path)

    async def main() -> None:
        client = AsyncQBankConnect(
            base_url="https://127.0.0.1:9/v1",
            client_id="mtls-client",
            token_auth_method="tls_client_auth",
            client_cert=str(pki.good.combined),
            http_backend="aiohttp",
        )
        async with client:
            with pytest.raises(ValueError, match=r"with_options\(client_cert=\.\.\.\)"):
                await client.reload_client_cert()

    asyncio.run(main())
