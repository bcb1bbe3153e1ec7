# Generated from src/qbank_connect/_async/http.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The async client's connections: a pool of its own, or the HTTP client you gave it.

The client you give may be an ``httpx2.Client`` or, for apps tied to httpx-only tooling, a
legacy ``httpx.Client``. Requests are then built with that client's own library, and its
exceptions become the same named errors. With ``http_backend="aiohttp"`` (async only) another
library's transport sends instead (``_backends``, ``_aiohttp``).
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Generator, Mapping
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any

import httpx2

from .. import _tracing
from .._backends import sync_transport_for
from .._concurrency import Lock, preload, sync_context_identity
from .._config import DEFAULT_POOL_LIMITS, shared_ssl_context
from .._transport_errors import no_answer_error, timeout_message
from ..errors import (
    QBankClosedError,
    QBankError,
    QBankTimeoutError,
)

if TYPE_CHECKING:
    from .._backends import HTTPClient, Transport
    from .._tls import TLSSettings

__all__ = ["HTTP"]


class HTTP:
    """Sends requests; never retries, never raises for a status: the requester decides."""

    def __init__(
        self,
        http_client: HTTPClient | None,
        tls: TLSSettings | None = None,
        http_backend: object = None,
    ) -> None:
        # Mutual TLS: the context new connections use; pools it replaced, until they are idle.
        self._tls = tls
        self._verify: ssl.SSLContext | None = None if tls is None else tls.load()
        self._retired: list[_Pool] = []
        # aiohttp sends when asked for (async only: the blocking twin's check refuses it);
        # else httpx2, as below.
        self._transport = sync_transport_for(http_client, http_backend, self._verify)
        if self._transport is not None:
            http_client = None
        self._injected = http_client
        self._lib: ModuleType = httpx2 if http_client is None else _library_of(http_client)
        if http_client is None and self._transport is None:
            # The pool itself is made on first use, but what it needs once per process (the TLS
            # context with its CAs, httpcore2 and h11 imported) is made now: tens of ms that
            # would otherwise land on the first call (bench/README.md, "first call").
            shared_ssl_context()
            preload()
        # The current pool: read and replaced as one object, so no thread sees a mix.
        self._owned: _Pool | None = None
        self._owned_lock = Lock()
        self.closed = False

    @property
    def injected(self) -> bool:
        """True when sending with an ``http_client`` given by the caller."""
        return self._injected is not None

    @property
    def sender(self) -> Transport:
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
    ) -> tuple[httpx2.Response | None, QBankError | None]:
        """Build and send one request: the answer, or the named error of one that got none."""
        transport = self._transport
        if transport is not None:
            return transport.request(
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
        return self.send(request, key, retries, attempt)

    def send(
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
            if self._tls is None:
                http = self._client()
                response: httpx2.Response = http.send(request)
            else:
                response = self._send_rotating(request)
        except lib.TimeoutException as exc:
            if attempt is not None:
                attempt.end(None, exc)  # error.type: the library's class, e.g. httpx2.ReadTimeout
            return None, QBankTimeoutError(
                timeout_message(request, exc),
                request=request,
                idempotency_key=key,
                retries_taken=retries,
            )
        except (lib.TransportError, ssl.SSLError) as exc:  # asyncio may raise SSLError as is
            if attempt is not None:
                attempt.end(None, exc)
            return None, no_answer_error(request, exc, key=key, retries=retries)
        except BaseException as exc:  # closed, cancelled, a bug: the span ends all the same
            if attempt is not None:
                attempt.end(None, exc)
            raise
        if attempt is not None:
            attempt.end(response.status_code, None, response.headers.get("request-id"))
        return response, None

    def _client(self) -> Any:
        if self.closed:
            raise QBankClosedError("this client is closed; create a new one")
        if self._injected is not None:
            return self._injected
        owned = self._owned
        if owned is None or owned.owner != sync_context_identity():
            owned = self._new_pool()
        return owned.client

    def _new_pool(self) -> _Pool:
        owner = sync_context_identity()
        with self._owned_lock:
            owned = self._owned
            if owned is None or owned.owner != owner:
                # First use, or a new event loop (or process): the old pool's connections
                # can't be used here. Its guard closes it in its own loop (below).
                pool = httpx2.Client(
                    verify=self._verify or shared_ssl_context(),
                    limits=DEFAULT_POOL_LIMITS,
                    follow_redirects=False,  # never: a redirect would take the certificate along
                )
                guard = _close_with_owner(pool, owner)
                guard.__next__()
                self._owned = owned = _Pool(owner, pool, guard)
        return owned

    def _send_rotating(self, request: httpx2.Request) -> httpx2.Response:
        """Send on the current pool, counted so that a pool replaced by :meth:`rotate` is
        closed once its last call in flight is done (only clients with ``client_cert=`` or
        ``ssl_context=`` pay for the count)."""
        while True:
            if self.closed:
                raise QBankClosedError("this client is closed; create a new one")
            pool = self._owned
            if pool is None or pool.owner != sync_context_identity():
                pool = self._new_pool()
            pool.active.add(request)
            if not pool.retired:
                break
            pool.active.discard(request)  # replaced meanwhile: take the new one
            self._close_if_idle(pool)
        try:
            response: httpx2.Response = pool.client.send(request)
        except Exception:
            pool.active.discard(request)
            if pool.retired:
                self._close_if_idle(pool)
            raise
        pool.active.discard(request)
        if pool.retired:
            self._close_if_idle(pool)
        return response

    def rotate(self, ssl_context: ssl.SSLContext | None = None) -> None:
        """Use a new TLS context (the certificate files read again, or ``ssl_context``) for new
        connections; calls in flight finish on the old ones, which close after the last."""
        if self._tls is None:
            raise ValueError(
                "this client has no client certificate of its own: create it with "
                "client_cert= or ssl_context= (with http_client=, configure that client)"
            )
        if self._transport is not None:
            raise ValueError(
                "reload_client_cert() rotates the httpx2 backend's connections; on "
                "http_backend='aiohttp' use with_options(client_cert=...) for a copy with the new "
                "certificate (or a new client)"
            )
        context = self._tls.load(ssl_context)  # may raise: the current pool stays in use
        with self._owned_lock:
            self._verify = context
            old, self._owned = self._owned, None
            if old is not None:
                old.retired = True
                self._retired.append(old)
        for pool in list(self._retired):
            self._close_if_idle(pool)

    def _close_if_idle(self, pool: _Pool) -> None:
        with self._owned_lock:
            if pool.closing or pool.active:
                return
            pool.closing = True
            if pool in self._retired:
                self._retired.remove(pool)
        if pool.owner == sync_context_identity():
            pool.guard.close()  # the guard closes the pool
        # A pool of another event loop (or of the parent process) is left to its guard.

    def close(self) -> None:
        """Refuse further calls; close the pool this client opened (never one you gave)."""
        self.closed = True
        if self._transport is not None:
            self._transport.close()
        owned, self._owned = self._owned, None
        if owned is not None and owned.owner == sync_context_identity():
            owned.guard.close()  # the guard closes the pool
        # A pool of another event loop (or of the parent process) is left to its guard.
        for pool in list(self._retired):
            pool.active.clear()  # closed clients refuse calls: nothing more will end on them
            self._close_if_idle(pool)


class _Pool:
    """A pool of connections, the event loop (or process) it belongs to, and its closer."""

    __slots__ = ("active", "client", "closing", "guard", "owner", "retired")

    def __init__(self, owner: object, client: httpx2.Client, guard: Generator[None, None]) -> None:
        self.owner = owner
        self.client = client
        self.guard = guard
        self.active: set[httpx2.Request] = set()  # requests in flight (mutual TLS only)
        self.retired = False
        self.closing = False


def _library_of(http_client: object) -> ModuleType:
    if isinstance(http_client, httpx2.Client):
        return httpx2
    legacy = sys.modules.get("httpx")  # only ever imported by an app that uses it
    if legacy is not None and isinstance(http_client, legacy.Client):
        return legacy
    raise ValueError(
        "http_client must be an httpx2.Client (or a legacy httpx.Client), "
        f"not {type(http_client).__name__}"
    )


def _close_with_owner(pool: httpx2.Client, owner: object) -> Generator[None, None]:
    """Closes ``pool`` when its owner, the context that opened it, is done with it.

    The owner is the process: the generator's ``finally`` runs when the requester closes or
    drops it, and closes the pool only in that process (a forked child leaves its parent's
    pool untouched: another thread may have held the pool's locks at the fork)."""
    try:
        yield
    finally:
        if sync_context_identity() == owner:
            pool.close()
