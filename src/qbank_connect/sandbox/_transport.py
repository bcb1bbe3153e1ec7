"""In-process httpx transports: the sandbox without a socket."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import anyio
import anyio.to_thread
import httpx

from ._app import App, Outcome, Pending, Request, Response

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]

_THREAD_BODY_SIZE = 1 << 20  # bigger bodies are parsed off the event loop


def _to_request(request: httpx.Request, body: bytes) -> Request:
    return Request.build(
        request.method,
        request.url.path,
        request.url.query.decode("ascii", "replace"),
        request.headers.multi_items(),
        body,
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout: Any = request.extensions.get("timeout")
    value: Any = cast(dict[str, Any], timeout).get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def _finish_later(app: App, pending: Pending, delay: float) -> None:
    # The client gave up, but a real server still does the work after its delay.
    def run() -> None:
        time.sleep(delay)
        app.finish(pending)

    threading.Thread(target=run, name="qbank-sandbox-late-work", daemon=True).start()


def _to_httpx(request: httpx.Request, outcome: Outcome, response: Response) -> httpx.Response:
    if outcome.drop:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    return httpx.Response(
        response.status, headers=response.headers, content=response.body, request=request
    )


def _timed_out(request: httpx.Request) -> httpx.ReadTimeout:
    return httpx.ReadTimeout("timed out (sandbox injected latency)", request=request)


class SandboxTransport(httpx.BaseTransport):
    """A sync httpx transport answering from the sandbox.

    Example::

        client = httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url)
    """

    def __init__(self, app: App) -> None:
        self._app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
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


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """An async httpx transport answering from the sandbox (asyncio and trio, via anyio).

    Injected latency is an ``anyio.sleep``: the event loop is never blocked.

    Example::

        client = httpx.AsyncClient(transport=sandbox.async_transport(), base_url=sandbox.base_url)
    """

    def __init__(self, app: App) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
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
