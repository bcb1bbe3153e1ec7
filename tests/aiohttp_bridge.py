"""The async suites again on the aiohttp backend (``nox -s aiohttp``).

With ``QBANK_TEST_HTTP_LIBRARY=aiohttp`` the test helpers hand ``AsyncQBankConnect`` an
``aiohttp.ClientSession`` (or ``http_backend="aiohttp"``) instead of an httpx2 client. aiohttp has
no in-process transport, so the scripted API (tests/mock_api.py) is served over a real loopback
socket: a :class:`Bridge` (an ``aiohttp.web`` server in a thread of its own) turns each request
into the ``httpx2.Request`` the scripted transport expects, and its answer back into HTTP. A
scripted transport error becomes what it stands for on a real socket: ``ConnectError`` and the
like drop the connection unanswered; a timeout holds the answer back until the client gives up
(the suites' clients then read with a short limit, :data:`READ_TIMEOUT`).

The session resolves the scripted API's host (``api.qbank.test``) to the bridge, so requests keep
the URLs the suites assert on. asyncio only: the trio runs of these suites are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2

AIOHTTP = os.environ.get("QBANK_TEST_HTTP_LIBRARY") == "aiohttp"

READ_TIMEOUT = 0.5
"""The read limit of the suites' clients on this backend: a scripted timeout takes this long."""

HOLD = 10.0
"""How long the bridge holds back a scripted timeout's answer (the client gives up first)."""

_DROPPED_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


def async_backend_options() -> dict[str, Any]:
    """``AsyncQBankConnect`` options that pick the backend under test for the SDK's own pool."""
    return {"http_backend": "aiohttp"} if AIOHTTP else {}


def sync_backend_options() -> dict[str, Any]:
    """The blocking client has one backend, httpx2."""
    return {}


class Bridge:
    """A loopback HTTP server that answers with an httpx2 transport (see the module docstring)."""

    def __init__(self, transport: httpx2.AsyncBaseTransport, origin: str) -> None:
        self._transport = transport
        self._origin = origin
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = False
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="aiohttp-bridge", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        from aiohttp import web

        loop = self._loop
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        loop.run_until_complete(runner.setup())
        listener = socket.create_server(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        site = web.SockSite(runner, listener)
        loop.run_until_complete(site.start())
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        body = await request.read()
        sent = httpx2.Request(
            request.method,
            self._origin + request.path_qs,
            headers=[
                (k, v) for k, v in request.raw_headers if k.lower() not in (b"transfer-encoding",)
            ],
            content=body,
        )
        try:
            response = await self._transport.handle_async_request(sent)
            await response.aread()
        except httpx2.TimeoutException:
            await asyncio.sleep(HOLD)  # the client's read limit ends this first
            raise
        except httpx2.TransportError:
            request.transport.abort()  # the connection drops with no answer
            raise
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in response.headers.raw
            if k.decode("latin-1").lower() not in _DROPPED_HEADERS
        ]
        from multidict import CIMultiDict

        return web.Response(
            status=response.status_code, headers=CIMultiDict(headers), body=response.content
        )

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def session_to(bridge: Bridge | int, host: str) -> Any:
    """An ``aiohttp.ClientSession`` whose ``host`` (any port) is the bridge, or the loopback
    server on that port (plain HTTP)."""
    target = bridge if isinstance(bridge, int) else bridge.port
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult

    class ToBridge(AbstractResolver):
        async def resolve(
            self, name: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            assert name in (host, "127.0.0.1"), f"no bridge for {name}"
            return [
                ResolveResult(
                    hostname=name,
                    host="127.0.0.1",
                    port=target if isinstance(bridge, int) else bridge.port,
                    family=socket.AF_INET,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]

        async def close(self) -> None:
            pass

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=ToBridge()))
    # As the SDK's own sessions: without aiohttp's silent resend of a GET whose connection
    # dropped, so the suites count every request (a session of yours keeps it: docs/aiohttp.md).
    session._retry_connection = False
    return session


@contextlib.contextmanager
def sandbox_http(sandbox: Any) -> Iterator[tuple[str, Any]]:
    """The blocking tests' twin: always httpx2, in process."""
    with sandbox.http_client() as http:
        yield sandbox.base_url, http


@contextlib.asynccontextmanager
async def async_sandbox_http(sandbox: Any) -> AsyncIterator[tuple[str, Any]]:
    """``(base_url, http_client)`` for a test that hands the SDK the sandbox's transport: in
    process with httpx2; on the aiohttp backend, the sandbox served on loopback and a session."""
    if not AIOHTTP:
        async with sandbox.async_http_client() as http:
            yield sandbox.base_url, http
        return
    # Served on loopback; the session resolves the sandbox's host there, so URLs (and the
    # spans' server.address) stay the sandbox's own.
    with sandbox.serve() as server:
        port = int(server.base_url.split(":")[2].split("/")[0])
        async with session_to(port, sandbox.base_url.split("/")[2].split(":")[0]) as session:
            yield sandbox.base_url, session


def transport_error(httpx2_name: str, aiohttp_name: str) -> str:
    """The ``error.type`` a span names for a failed request: the sending library's class."""
    return aiohttp_name if AIOHTTP else httpx2_name
