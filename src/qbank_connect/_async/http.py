"""The async client's connections: a pool of its own, or the HTTP client you gave it.

The client you give may be an ``httpx2.AsyncClient`` or, for apps tied to httpx-only tooling, a
legacy ``httpx.AsyncClient``. Requests are then built with that client's own library, and its
exceptions become the same named errors. With ``http_backend="aiohttp"`` (async only) another
library's transport sends instead (``_backends``, ``_aiohttp``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Mapping
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any

import httpx2

from .. import _tracing
from .._backends import async_transport_for
from .._concurrency import AsyncLock, async_context_identity, async_preload
from .._config import DEFAULT_POOL_LIMITS, shared_ssl_context
from ..errors import QBankClosedError, QBankConnectionError, QBankError, QBankTimeoutError

if TYPE_CHECKING:
    from .._backends import AsyncHTTPClient, AsyncTransport

__all__ = ["AsyncHTTP"]


class AsyncHTTP:
    """Sends requests; never retries, never raises for a status: the requester decides."""

    def __init__(self, http_client: AsyncHTTPClient | None, http_backend: object = None) -> None:
        # aiohttp sends when asked for (async only: the blocking twin's check refuses it);
        # else httpx2, as below.
        self._transport = async_transport_for(http_client, http_backend)
        if self._transport is not None:
            http_client = None
        self._injected = http_client
        self._lib: ModuleType = httpx2 if http_client is None else _library_of(http_client)
        if http_client is None and self._transport is None:
            # The pool itself is made on first use, but what it needs once per process (the TLS
            # context with its CAs, httpcore2 and h11 imported) is made now: tens of ms that
            # would otherwise land on the first call (bench/README.md, "first call").
            shared_ssl_context()
            async_preload()
        # (owner, pool, guard): read and replaced as one tuple, so no thread sees a mix.
        self._owned: tuple[object, httpx2.AsyncClient, AsyncGenerator[None, None]] | None = None
        self._owned_lock = AsyncLock()
        self.closed = False

    @property
    def sender(self) -> AsyncTransport:
        """What the requester sends with: the other library's transport itself when there is
        one (a layer less per call on the fast path), else this object."""
        return self if self._transport is None else self._transport

    @property
    def legacy(self) -> bool:
        """True when sending with a legacy ``httpx`` client."""
        return self._lib is not httpx2

    def build(
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
    ) -> httpx2.Request:
        """A request in the sending client's own library (so ``send`` accepts it)."""
        request: httpx2.Request = self._lib.Request(
            method,
            url,
            params=params,
            headers=headers,
            content=content,
            files=files,
            data=data,
            extensions={"timeout": timeout},
        )
        return request

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
    ) -> tuple[httpx2.Response | None, QBankError | None]:
        """Build and send one request: the answer, or the named error of one that got none."""
        transport = self._transport
        if transport is not None:
            return await transport.request(
                method,
                url,
                headers=headers,
                timeout=timeout,
                params=params,
                content=content,
                files=files,
                data=data,
                key=key,
                retries=retries,
                attempt=attempt,
            )
        request = self.build(
            method,
            url,
            headers=headers,
            timeout=timeout,
            params=params,
            content=content,
            files=files,
            data=data,
        )
        return await self.send(request, key, retries, attempt)

    async def send(
        self,
        request: httpx2.Request,
        key: str | None,
        retries: int,
        attempt: _tracing.AttemptSpan | None = None,
    ) -> tuple[httpx2.Response | None, QBankError | None]:
        """The answer, or the named error of a request that got none.

        ``attempt``, the OpenTelemetry span of this request when tracing, ends with either."""
        lib = self._lib
        try:
            http = await self._client()
            response: httpx2.Response = await http.send(request)
        except lib.TimeoutException as exc:
            if attempt is not None:
                attempt.end(None, exc)  # error.type: the library's class, e.g. httpx2.ReadTimeout
            return None, QBankTimeoutError(
                f"{request.method} {request.url.path} timed out ({type(exc).__name__})",
                request=request,
                idempotency_key=key,
                retries_taken=retries,
            )
        except lib.TransportError as exc:
            if attempt is not None:
                attempt.end(None, exc)
            return None, QBankConnectionError(
                f"{request.method} {request.url.path} failed: {type(exc).__name__}: {exc}",
                request=request,
                idempotency_key=key,
                retries_taken=retries,
            )
        except BaseException as exc:  # closed, cancelled, a bug: the span ends all the same
            if attempt is not None:
                attempt.end(None, exc)
            raise
        if attempt is not None:
            attempt.end(response.status_code, None, response.headers.get("request-id"))
        return response, None

    async def _client(self) -> Any:
        if self.closed:
            raise QBankClosedError("this client is closed; create a new one")
        if self._injected is not None:
            return self._injected
        owner = async_context_identity()
        owned = self._owned
        if owned is None or owned[0] != owner:
            async with self._owned_lock:
                owned = self._owned
                if owned is None or owned[0] != owner:
                    # First use, or a new event loop (or process): the old pool's connections
                    # can't be used here. Its guard closes it in its own loop (below).
                    pool = httpx2.AsyncClient(
                        verify=shared_ssl_context(),
                        limits=DEFAULT_POOL_LIMITS,
                        follow_redirects=False,
                    )
                    guard = _close_with_owner(pool, owner)
                    await guard.__anext__()
                    self._owned = owned = (owner, pool, guard)
        return owned[1]

    async def aclose(self) -> None:
        """Refuse further calls; close the pool this client opened (never one you gave)."""
        self.closed = True
        if self._transport is not None:
            await self._transport.aclose()
        owned, self._owned = self._owned, None
        if owned is not None and owned[0] == async_context_identity():
            await owned[2].aclose()  # the guard closes the pool
        # A pool of another event loop (or of the parent process) is left to its guard.


def _library_of(http_client: object) -> ModuleType:
    if isinstance(http_client, httpx2.AsyncClient):
        return httpx2
    legacy = sys.modules.get("httpx")  # only ever imported by an app that uses it
    if legacy is not None and isinstance(http_client, legacy.AsyncClient):
        return legacy
    raise ValueError(
        "http_client must be an httpx2.AsyncClient (or a legacy httpx.AsyncClient), "
        f"not {type(http_client).__name__}"
    )


async def _close_with_owner(pool: httpx2.AsyncClient, owner: object) -> AsyncGenerator[None, None]:
    """Closes ``pool`` when its owner, the context that opened it, is done with it.

    The owner is the event loop: started in it, this async generator is registered with the
    loop's async-generator hooks, so ``asyncio.run()`` and ``trio.run()`` finalize it as they
    end, while the loop still runs, the only moment its connections can be closed properly (once
    the loop is closed, closing them raises and dropping them leaks sockets and
    ``ResourceWarning``s). A pool dropped while its loop runs elsewhere is closed there by the
    loop's finalizer hook."""
    try:
        yield
    finally:
        if async_context_identity() == owner:
            await pool.aclose()
