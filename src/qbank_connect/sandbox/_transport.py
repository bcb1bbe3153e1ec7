"""In-process httpx2 transports: the sandbox without a socket."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import anyio
import anyio.to_thread
import httpx2

from ._app import App, Outcome, Pending, Request, Response

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]

_THREAD_BODY_SIZE = 1 << 20  # bigger bodies are parsed off the event loop


def _to_request(request: httpx2.Request, body: bytes) -> Request:
    return Request.build(
        request.method,
        request.url.path,
        request.url.query.decode("ascii", "replace"),
        request.headers.multi_items(),
        body,
    )


def _read_timeout(request: httpx2.Request) -> float | None:
    timeout: Any = request.extensions.get("timeout")
    value: Any = cast(dict[str, Any], timeout).get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _finish_later(app: App, pending: Pending, delay: float) -> None:
    # The client gave up, but a real server still does the work after its delay.
    def run() -> None:
        time.sleep(delay)
        app.finish(pending)

    threading.Thread(target=run, name="qbank-sandbox-late-work", daemon=True).start()


def _to_httpx(request: httpx2.Request, outcome: Outcome, response: Response) -> httpx2.Response:
    if outcome.drop:
        raise httpx2.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    return httpx2.Response(
        response.status, headers=response.headers, content=response.body, request=request
    )


def _timed_out(request: httpx2.Request) -> httpx2.ReadTimeout:
    return httpx2.ReadTimeout("timed out (sandbox injected latency)", request=request)


class SandboxTransport(httpx2.BaseTransport):
    """A sync httpx2 transport answering from the sandbox.

    Example::

        client = httpx2.Client(transport=sandbox.transport(), base_url=sandbox.base_url)
    """

    def __init__(self, app: App) -> None:
        self._app = app

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        outcome = self._app.begin(_to_request(request, request.read()))
        response = outcome.response
        if outcome.pending is not None:
            timeout = _read_timeout(request)
            if outcome.latency and timeout is not None and outcome.latency >= timeout:
                _finish_later(self._app, outcome.pending, outcome.latency)
                time.sleep(timeout)
                raise _timed_out(request)
            if outcome.latency:
                time.sleep(outcome.latency)
            response = self._app.finish(outcome.pending)
        assert response is not None
        return _to_httpx(request, outcome, response)


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
        sandbox_request = _to_request(request, body)
        offload = len(body) > _THREAD_BODY_SIZE
        if offload:
            outcome = await anyio.to_thread.run_sync(self._app.begin, sandbox_request)
        else:
            outcome = self._app.begin(sandbox_request)
        response = outcome.response
        if outcome.pending is not None:
            timeout = _read_timeout(request)
            if outcome.latency and timeout is not None and outcome.latency >= timeout:
                _finish_later(self._app, outcome.pending, outcome.latency)
                await anyio.sleep(timeout)
                raise _timed_out(request)
            if outcome.latency:
                await anyio.sleep(outcome.latency)
            if offload:
                response = await anyio.to_thread.run_sync(self._app.finish, outcome.pending)
            else:
                response = self._app.finish(outcome.pending)
        assert response is not None
        return _to_httpx(request, outcome, response)
