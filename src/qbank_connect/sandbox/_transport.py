"""In-process httpx2 transports: the sandbox without a socket."""

from __future__ import annotations

from typing import Any, cast

import anyio
import anyio.to_thread
import httpx2

from ._app import App, Reply, run_blocking, step
from ._http import Request

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]

_THREAD_BODY_SIZE = 1 << 20  # bigger bodies are parsed off the event loop


def _to_request(request: httpx2.Request, body: bytes) -> Request:
    return Request.build(
        request.method,
        request.url.path,
        request.url.query.decode("ascii", "replace"),
        request.headers.multi_items(),
        body,
        origin=f"{request.url.scheme}://{request.url.netloc.decode('ascii')}",
    )


def _read_timeout(request: httpx2.Request) -> float | None:
    timeout: Any = request.extensions.get("timeout")
    value: Any = cast(dict[str, Any], timeout).get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _to_httpx(request: httpx2.Request, reply: Reply) -> httpx2.Response:
    if reply.timed_out:
        raise httpx2.ReadTimeout("timed out (sandbox injected latency)", request=request)
    if reply.response is None:
        raise httpx2.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    response = reply.response
    return httpx2.Response(
        response.status, headers=response.headers, content=response.body, request=request
    )


class SandboxTransport(httpx2.BaseTransport):
    """A sync httpx2 transport answering from the sandbox.

    Example::

        client = httpx2.Client(transport=sandbox.transport(), base_url=sandbox.base_url)
    """

    def __init__(self, app: App) -> None:
        self._app = app

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        exchange = self._app.exchange(_to_request(request, request.read()), _read_timeout(request))
        return _to_httpx(request, run_blocking(exchange))


class AsyncSandboxTransport(httpx2.AsyncBaseTransport):
    """An async httpx2 transport answering from the sandbox (asyncio and trio, via anyio).

    Injected latency is an ``anyio.sleep``: the event loop is never blocked.

    Example::

        client = httpx2.AsyncClient(transport=sandbox.async_transport(), base_url=sandbox.base_url)
    """

    def __init__(self, app: App) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        exchange = self._app.exchange(_to_request(request, body), _read_timeout(request))
        offload = len(body) > _THREAD_BODY_SIZE
        while True:
            if offload:
                delay, reply = await anyio.to_thread.run_sync(step, exchange)
            else:
                delay, reply = step(exchange)
            if reply is not None:
                return _to_httpx(request, reply)
            await anyio.sleep(delay)
