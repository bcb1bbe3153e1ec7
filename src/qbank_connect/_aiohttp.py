"""The aiohttp backend: ``AsyncQBankConnect(http_backend="aiohttp")`` (the ``[aiohttp]`` extra).

The fast path goes straight from the pipeline's request (method, URL, headers, bytes) to aiohttp
and from aiohttp's bytes to the model: no ``httpx2.Request`` is built and the answer is an
:class:`AiohttpResponse`, an ``httpx2.Response`` holding only its status and body until
something else of it is read (raw mode, an error, a log line), when it becomes a full one.

asyncio only (aiohttp's own limit): on trio the call fails, naming the httpx2 backend instead.
Hand-written and outside ``_async/``: the blocking client never gets it (``_backends``).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from collections.abc import AsyncGenerator, Mapping
from typing import IO, Any

import aiohttp
import httpx2

from . import _tracing
from ._concurrency import AsyncLock
from ._config import DEFAULT_POOL_LIMITS, shared_ssl_context
from ._transport_errors import no_answer_error
from .errors import (
    QBankClosedError,
    QBankError,
    QBankTimeoutError,
)

__all__ = ["AiohttpResponse", "AiohttpTransport"]

_get_running_loop = asyncio._get_running_loop  # C; None under trio
_getpid = os.getpid
_KEEPALIVE_EXPIRY = 5.0  # httpx2's (httpcore's) default, so both backends drop idle sockets alike


class AiohttpResponse(httpx2.Response):
    """An answer received by aiohttp, as an ``httpx2.Response``.

    Built with its status code and body only (what parsing a 2xx needs); the first read of
    anything else (headers, request, text, ...) builds the whole ``httpx2.Response``, with its
    ``httpx2.Request``, from what aiohttp gave: ``raw.http_response`` and ``error.response``
    are ordinary httpx2 responses on this backend too."""

    def __init__(
        self,
        status_code: int,
        content: bytes,
        raw_headers: Any,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
    ) -> None:
        # Not httpx2's __init__ (17 µs of headers and streams per answer): see __getattr__.
        self.status_code = status_code
        self._content = content
        self._qbank_raw = (raw_headers, method, url, dict(request_headers))

    def __getattr__(self, name: str) -> Any:
        # Only attributes not set yet land here: build the rest of the response, once.
        if name.startswith("__") or "_qbank_raw" not in self.__dict__:
            raise AttributeError(name)
        raw_headers, method, url, request_headers = self.__dict__.pop("_qbank_raw")
        request = httpx2.Request(method, url, headers=request_headers)
        full = httpx2.Response(
            self.status_code, headers=list(raw_headers), content=self._content, request=request
        )
        self.__dict__.update(full.__dict__)
        return getattr(self, name)


class AiohttpTransport:
    """Sends with an ``aiohttp.ClientSession``: one of its own per event loop, or the one given.

    Its own session verifies TLS with ``ssl_context`` (default: the CAs httpx2 trusts, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR``; see :func:`_default_ssl`), keeps up to 100 connections alive
    for 5 s (the httpx2 backend's limits), and takes proxies from the environment as httpx2
    reads them (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``). A session you
    give is used as it is (its connector, TLS, proxy and cookie settings) and never closed."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._injected = session
        self._ssl_context = ssl_context
        # (owner, session, guard, proxies): read and replaced as one tuple, like AsyncHTTP's pool.
        self._owned: (
            tuple[object, int, aiohttp.ClientSession, AsyncGenerator[None, None]] | None
        ) = None
        self._owned_lock = AsyncLock()
        self._proxies: dict[str, str] = {}  # origin -> proxy URL, "" for none (env, read once)
        self._last_proxy: tuple[str, str | None] = ("\0", None)  # (origin, proxy) of the last call
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}
        self.closed = False

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
        """The answer, or the named error of a request that got none (as ``AsyncHTTP.send``)."""
        loop = _get_running_loop()
        if loop is None:
            raise RuntimeError(
                "http_backend='aiohttp' runs on asyncio only (aiohttp's limit); on trio, create "
                "the client without http_backend (httpx2, the default, runs on both)"
            )
        if self.closed:
            raise QBankClosedError("this client is closed; create a new one")
        session = self._injected
        proxy = None
        if session is None:
            owned = self._owned
            if owned is not None and owned[0] is loop and owned[1] == _getpid():
                session = owned[2]
            else:
                session = await self._session(loop)
            proxy = self._proxy_for(url)
        body: Any = content
        if files is not None:
            body = _form(files, data)
        try:
            response = await session.request(
                method,
                url,
                params=params,
                data=body,
                headers=headers,
                timeout=self._timeout(timeout),
                allow_redirects=False,
                proxy=proxy,
            )
            try:
                payload = await response.read()
            finally:
                response.release()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            if attempt is not None:
                attempt.end(None, exc)
            return None, QBankTimeoutError(
                f"{method} {_path(url)} timed out ({_timeout_name(exc)})",
                request=httpx2.Request(method, url, headers=headers),
                idempotency_key=key,
                retries_taken=retries,
            )
        except aiohttp.ClientError as exc:
            if attempt is not None:
                attempt.end(None, exc)
            request = httpx2.Request(method, url, headers=headers)
            return None, no_answer_error(request, exc, key=key, retries=retries)
        except BaseException as exc:  # closed, cancelled, a bug: the span ends all the same
            if attempt is not None:
                attempt.end(None, exc)
            raise
        status = response.status
        if attempt is not None:
            attempt.end(status, None, response.headers.get("request-id"))
        return AiohttpResponse(status, payload, response.raw_headers, method, url, headers), None

    def _timeout(self, timeout: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
        # httpx2's four limits in aiohttp's terms (aiohttp has no write limit): "connect" there
        # is the wait for a pooled connection plus connecting; "sock_read" is httpx2's read.
        limits = (timeout.get("connect"), timeout.get("read"), timeout.get("pool"))
        found = self._timeouts.get(limits)
        if found is None:
            connect, read, pool = limits
            found = self._timeouts[limits] = aiohttp.ClientTimeout(
                total=None,
                connect=None if connect is None or pool is None else connect + pool,
                sock_connect=connect,
                sock_read=read,
            )
        return found

    def _proxy_for(self, url: str) -> str | None:
        last_origin, proxy = self._last_proxy
        if url.startswith(last_origin) and url[len(last_origin) : len(last_origin) + 1] == "/":
            return proxy  # the client's base URL, nearly every call
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port
        found = self._proxies.get(origin)
        if found is None:
            found = self._proxies[origin] = _environment_proxy(origin) or ""
        self._last_proxy = (origin, found or None)
        return found or None

    async def _session(self, loop: object) -> aiohttp.ClientSession:
        # The owner is the event loop in this process: a session can't be used from another
        # loop, nor from a forked child (cheaper to check than anyio's token, every call).
        owned = self._owned
        if owned is not None and owned[0] is loop and owned[1] == _getpid():
            return owned[2]
        async with self._owned_lock:
            owned = self._owned
            if owned is None or owned[0] is not loop or owned[1] != _getpid():
                # First use, or a new event loop (or process): the old session's connections
                # can't be used here. Its guard closes it in its own loop.
                session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(
                        ssl=self._ssl_context or _default_ssl(),
                        limit=DEFAULT_POOL_LIMITS.max_connections or 0,
                        keepalive_timeout=_KEEPALIVE_EXPIRY,
                    ),
                    cookie_jar=aiohttp.DummyCookieJar(),  # bearer tokens: no cookies
                    trust_env=False,  # proxies: read once, as httpx2 reads them (below)
                )
                # Retries are the SDK's, counted and backed off: not aiohttp's hidden resend
                # of a GET whose connection dropped (its own tests turn it off the same way).
                session._retry_connection = False
                guard = _close_with_owner(session, loop)
                await guard.__anext__()
                self._owned = owned = (loop, _getpid(), session, guard)
        return owned[2]

    async def aclose(self) -> None:
        """Refuse further calls; close the session this transport opened (never one given)."""
        self.closed = True
        owned, self._owned = self._owned, None
        if owned is not None and owned[0] is _get_running_loop() and owned[1] == _getpid():
            await owned[3].aclose()  # the guard closes the session
        # A session of another event loop (or of the parent process) is left to its guard.


def _default_ssl() -> ssl.SSLContext | bool:
    """On Linux, aiohttp's own verified context (built as aiohttp is imported: OpenSSL's paths,
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` honoured), which trusts what httpx2's does; elsewhere
    httpx2's (the OS trust store through truststore), shared with the httpx2 backend."""
    if sys.platform.startswith("linux"):
        return True
    return shared_ssl_context()


def _form(
    files: Mapping[str, tuple[str, IO[bytes], str]], data: Mapping[str, str] | None
) -> aiohttp.FormData:
    """A multipart body streamed from the file (fields first, as httpx2 orders them)."""
    form = aiohttp.FormData()
    for name, value in (data or {}).items():
        form.add_field(name, value)
    for name, (file_name, stream, content_type) in files.items():
        form.add_field(name, stream, filename=file_name, content_type=content_type)
    return form


def _environment_proxy(origin: str) -> str | None:
    """The proxy httpx2 would use for ``origin``, from the same environment variables."""
    from httpx2._utils import URLPattern, get_environment_proxies

    url = httpx2.URL(origin)
    mounts = [(URLPattern(key), proxy) for key, proxy in get_environment_proxies().items()]
    for pattern, proxy in sorted(mounts, key=lambda mount: mount[0]):  # httpx2's order
        if pattern.matches(url):
            return proxy
    return None


def _path(url: str) -> str:
    return httpx2.URL(url).path


def _timeout_name(exc: BaseException) -> str:
    """httpx2's name for the same timeout, so messages read the same on both backends."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "ConnectTimeout"  # connecting, or waiting for a free connection of the pool
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return "ReadTimeout"
    return type(exc).__name__


async def _close_with_owner(
    session: aiohttp.ClientSession, loop: object
) -> AsyncGenerator[None, None]:
    """Closes ``session`` when its event loop finalizes this generator (see ``AsyncHTTP``'s
    ``_close_with_owner``: ``asyncio.run()`` does it while the loop still runs); never in a
    forked child, whose copy of the parent's sockets is the parent's."""
    pid = _getpid()
    try:
        yield
    finally:
        if _get_running_loop() is loop and _getpid() == pid:
            await session.close()
