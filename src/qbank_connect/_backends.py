"""Which HTTP library sends a client's requests: httpx2 (always), or aiohttp (async, asyncio).

``AsyncHTTP`` sends with httpx2 unless :func:`async_transport_for` gives it a transport; its
generated twin calls :func:`sync_transport_for`, which never does (the blocking client is httpx2
only). aiohttp itself is imported only when asked for (the ``[aiohttp]`` extra).
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Literal, Protocol, Union

if TYPE_CHECKING:
    import aiohttp
    import httpx
    import httpx2

    from . import _tracing
    from .errors import QBankError

__all__ = [
    "AsyncHTTPBackend",
    "AsyncHTTPClient",
    "AsyncTransport",
    "HTTPBackend",
    "HTTPClient",
    "Transport",
    "async_transport_for",
    "sync_transport_for",
]

AsyncHTTPBackend = Literal["httpx2", "aiohttp"]
"""What ``AsyncQBankConnect(http_backend=...)`` takes."""

HTTPBackend = Literal["httpx2"]
"""What ``QBankConnect(http_backend=...)`` takes (it refuses ``"aiohttp"`` with a clear error)."""

AsyncHTTPClient = Union["httpx2.AsyncClient", "httpx.AsyncClient", "aiohttp.ClientSession"]
"""What ``AsyncQBankConnect(http_client=...)`` takes."""

HTTPClient = Union["httpx2.Client", "httpx.Client"]
"""What ``QBankConnect(http_client=...)`` takes."""

_BACKENDS = ("httpx2", "aiohttp")


class AsyncTransport(Protocol):
    """Another library under ``AsyncHTTP``: one request in, the answer or its named error out.

    The answer is an ``httpx2.Response`` (or a subclass that builds itself lazily); a request
    that got no answer gives the same named errors as httpx2's (``QBankTimeoutError``,
    ``QBankConnectionError``)."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: Mapping[str, float | None],
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        files: Mapping[str, tuple[str, IO[bytes], str]] | None = None,
        data: Mapping[str, str] | None = None,
        key: str | None = None,
        retries: int = 0,
        attempt: _tracing.AttemptSpan | None = None,
    ) -> tuple[httpx2.Response | None, QBankError | None]: ...

    async def aclose(self) -> None: ...


class Transport(Protocol):
    """The blocking twin of :class:`AsyncTransport`: none exists yet (httpx2 sends)."""

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout: Mapping[str, float | None],
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        files: Mapping[str, tuple[str, IO[bytes], str]] | None = None,
        data: Mapping[str, str] | None = None,
        key: str | None = None,
        retries: int = 0,
        attempt: _tracing.AttemptSpan | None = None,
    ) -> tuple[httpx2.Response | None, QBankError | None]: ...

    def close(self) -> None: ...


def _is_aiohttp_session(http_client: object) -> bool:
    aiohttp = sys.modules.get("aiohttp")  # a session exists only if the app imported aiohttp
    return aiohttp is not None and isinstance(http_client, aiohttp.ClientSession)


def _checked(http_backend: object) -> None:
    if http_backend is not None and http_backend not in _BACKENDS:
        raise ValueError(f"http_backend must be 'httpx2' or 'aiohttp', got {http_backend!r}")


def async_transport_for(
    http_client: object, http_backend: object, ssl_context: ssl.SSLContext | None = None
) -> AsyncTransport | None:
    """The transport of ``AsyncQBankConnect(http_client=..., http_backend=...)``: ``None`` for
    httpx2 (``AsyncHTTP`` sends itself), an :class:`~qbank_connect._aiohttp.AiohttpTransport`
    for aiohttp (``http_backend="aiohttp"`` or an ``aiohttp.ClientSession`` given), its own
    session verifying with ``ssl_context`` (mutual TLS: the client's certificate) when given."""
    _checked(http_backend)
    session = _is_aiohttp_session(http_client)
    if http_backend == "aiohttp" or (http_backend is None and session):
        if http_client is not None and not session:
            raise ValueError(
                "http_backend='aiohttp' takes an aiohttp.ClientSession as http_client, not "
                f"{type(http_client).__name__} (or leave http_backend out to send with it)"
            )
        try:
            from ._aiohttp import AiohttpTransport
        except ImportError:
            raise ImportError(
                "http_backend='aiohttp' needs aiohttp, which is not installed: "
                'pip install "qbank-connect[aiohttp]"'
            ) from None
        return AiohttpTransport(http_client, ssl_context=ssl_context)  # type: ignore[arg-type]
    if session:
        raise ValueError(
            "http_client is an aiohttp.ClientSession: use http_backend='aiohttp' (or leave it "
            "out), or give an httpx2.AsyncClient"
        )
    return None


def sync_transport_for(
    http_client: object, http_backend: object, ssl_context: ssl.SSLContext | None = None
) -> Transport | None:
    """The blocking client sends with httpx2 only: refuses aiohttp, clearly."""
    _checked(http_backend)
    if http_backend == "aiohttp" or _is_aiohttp_session(http_client):
        raise ValueError(
            "aiohttp is asynchronous: the blocking QBankConnect sends with httpx2 only; use "
            "AsyncQBankConnect(http_backend='aiohttp') for the aiohttp backend"
        )
    return None
