"""Legacy ``httpx`` clients for the suites that run again with them (``nox -s legacy_httpx``).

With ``QBANK_TEST_HTTP_LIBRARY=httpx`` the test helpers hand the SDK legacy ``httpx`` clients:
over a socket, a plain ``httpx.Client``; in process, one whose transport carries each request to
the httpx2 transport the test built (the sandbox's, or the scripted API's), converting requests,
answers and transport errors between the two libraries."""

from __future__ import annotations

import os
from typing import Any

import httpx2

LEGACY = os.environ.get("QBANK_TEST_HTTP_LIBRARY") == "httpx"

if LEGACY:
    import httpx


def _to_httpx2(request: Any) -> httpx2.Request:
    return httpx2.Request(
        request.method,
        str(request.url),
        headers=list(request.headers.raw),
        content=request.content,
        extensions=request.extensions,
    )


def _to_legacy_response(response: httpx2.Response, request: Any) -> Any:
    return httpx.Response(
        response.status_code,
        headers=list(response.headers.raw),
        content=response.content,
        request=request,
    )


def _to_legacy_error(exc: httpx2.HTTPError, request: Any) -> Exception:
    cls = getattr(httpx, type(exc).__name__, httpx.TransportError)
    return cls(str(exc), request=request)


class _Transport:
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: Any) -> Any:
        request.read()
        try:
            response = self._inner.handle_request(_to_httpx2(request))
            response.read()
        except httpx2.HTTPError as exc:
            raise _to_legacy_error(exc, request) from None
        return _to_legacy_response(response, request)

    def close(self) -> None:
        self._inner.close()


class _AsyncTransport:
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: Any) -> Any:
        await request.aread()
        try:
            response = await self._inner.handle_async_request(_to_httpx2(request))
            await response.aread()
        except httpx2.HTTPError as exc:
            raise _to_legacy_error(exc, request) from None
        return _to_legacy_response(response, request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def legacy_client(transport: httpx2.BaseTransport | None = None) -> Any:
    """An ``httpx.Client``: over the network, or onto ``transport``."""
    if transport is None:
        return httpx.Client()
    return httpx.Client(
        transport=type("LegacyBridge", (_Transport, httpx.BaseTransport), {})(transport)
    )


def legacy_async_client(transport: httpx2.AsyncBaseTransport | None = None) -> Any:
    """An ``httpx.AsyncClient``: over the network, or onto ``transport``."""
    if transport is None:
        return httpx.AsyncClient()
    bridge = type("AsyncLegacyBridge", (_AsyncTransport, httpx.AsyncBaseTransport), {})
    return httpx.AsyncClient(transport=bridge(transport))
