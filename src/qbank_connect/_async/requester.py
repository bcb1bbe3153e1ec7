"""The request pipeline of the async client: auth, idempotency, retries, errors, parsing."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from datetime import timedelta
from typing import Any

import httpx2

from .. import _tracing
from .._auth import AccessToken, basic_authorization, parse_token_response, token_request_body
from .._concurrency import AsyncLock, async_context_identity, async_sleep
from .._config import (
    DEFAULT_POOL_LIMITS,
    TOKEN_MAX_RETRIES,
    TOKEN_TIMEOUT,
    shared_ssl_context,
    user_agent,
)
from .._idempotency import new_idempotency_key, validate_idempotency_key
from .._logging import logger
from .._response import RawResponse, error_from_response, parse_model
from .._retry import RETRYABLE_STATUS_CODES, retry_delay
from .._secrets import Secret
from .._upload import AchUpload
from ..errors import QBankConnectionError, QBankError, QBankTimeoutError
from .auth import AsyncOAuthTokens, AsyncTokens

__all__ = ["AsyncRequester"]

_JSON = "application/json"


class AsyncRequester:
    """Sends one logical API call, however many HTTP attempts it takes.

    Owned by the client and shared by its ``with_options`` copies, so they share the connection
    pool and the token cache."""

    def __init__(
        self,
        *,
        base_url: str,
        http_client: httpx2.AsyncClient | None,
        default_headers: Mapping[str, str] | None,
        max_retry_after: float,
    ) -> None:
        self.base_url = base_url
        self._server = _tracing.server_of(base_url)  # OpenTelemetry: server.address/port
        self.max_retry_after = max_retry_after
        self._injected = http_client
        # (owner, pool, guard): read and replaced as one tuple, so no thread sees a mix.
        self._owned: tuple[object, httpx2.AsyncClient, AsyncGenerator[None, None]] | None = None
        self._owned_lock = AsyncLock()
        self._closed = False
        self.tokens: AsyncTokens = AsyncTokens()
        headers = {"Accept": _JSON, "User-Agent": user_agent()}
        headers.update(default_headers or {})
        self._headers = headers

    def use_client_credentials(
        self, client_id: str, client_secret: Secret, scopes: tuple[str, ...] | None
    ) -> None:
        self._token_url = self.base_url + "/token"
        self._token_authorization = basic_authorization(client_id, client_secret)
        self._token_body = token_request_body(scopes)
        self.tokens = AsyncOAuthTokens(self._fetch_token)

    # -- the connection pool ---------------------------------------------------------------

    async def http_client(self) -> httpx2.AsyncClient:
        if self._injected is not None:
            return self._injected
        if self._closed:
            raise QBankError("this client is closed; create a new one")
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
        self._closed = True
        owned, self._owned = self._owned, None
        if owned is not None and owned[0] == async_context_identity():
            await owned[2].aclose()  # the guard closes the pool
        # A pool of another event loop (or of the parent process) is left to its guard.

    # -- calls -----------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        model: type[Any],
        wrap: Callable[[Any], Any] | None = None,
        timeout: httpx2.Timeout,
        max_retries: int,
        params: Mapping[str, Any] | None = None,
        json_body: bytes | None = None,
        upload: AchUpload | None = None,
        upload_fields: Mapping[str, str] | None = None,
        transactional: bool = False,
        idempotency_key: str | None = None,
        raw: bool = False,
    ) -> Any:
        """Send the call; return the parsed model (``wrap``-ped), or a :class:`RawResponse` if ``raw``."""
        if transactional:
            key = (
                new_idempotency_key()
                if idempotency_key is None
                else validate_idempotency_key(idempotency_key)
            )
        else:
            key = None
        started = time.monotonic()
        url = self.base_url + path
        timeouts = timeout.as_dict()
        headers = dict(self._headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        if json_body is not None:
            headers["Content-Type"] = _JSON

        # OpenTelemetry (_tracing): the call's span, or None when tracing is off.
        call = _tracing.start_call(method, path, self._server, idempotency_key=key)
        try:
            retries = 0
            replayed_401 = False
            while True:
                token = await self.tokens.get()
                headers["Authorization"] = token.authorization
                attempt = call.start_attempt(headers) if call is not None else None
                if upload is not None:
                    request = httpx2.Request(
                        method,
                        url,
                        headers=headers,
                        files={"file": (upload.file_name, upload.body(), "text/plain")},
                        data=dict(upload_fields or {}),
                        extensions={"timeout": timeouts},
                    )
                else:
                    request = httpx2.Request(
                        method,
                        url,
                        params=params,
                        headers=headers,
                        content=json_body,
                        extensions={"timeout": timeouts},
                    )
                response, failure = await self._attempt(request, key, retries, attempt)
                if response is not None and response.status_code < 300:
                    self._log_done(method, path, response, key, retries, started)
                    if raw:
                        result: Any = RawResponse(
                            response,
                            model=model,
                            wrap=wrap,
                            idempotency_key=key,
                            retries_taken=retries,
                            elapsed=timedelta(seconds=time.monotonic() - started),
                        )
                    else:
                        parsed = parse_model(model, response, idempotency_key=key)
                        result = parsed if wrap is None else wrap(parsed)
                    if call is not None:
                        call.end(None)
                    return result

                if (
                    response is not None
                    and response.status_code == 401
                    and not replayed_401
                    and self.tokens.refreshable
                ):
                    # The token was refused: drop it (only if no one replaced it yet) and replay once.
                    replayed_401 = True
                    self.tokens.invalidate(token)
                    if upload is not None and not upload.rewindable:
                        raise _not_rewindable(error_from_response(response, idempotency_key=key))
                    continue

                delay = self._retry_delay(response, failure, retries, max_retries)
                if delay is None or (upload is not None and not upload.rewindable):
                    error = failure or error_from_response(
                        response,  # type: ignore[arg-type]
                        idempotency_key=key,
                        retries_taken=retries,
                    )
                    if delay is not None:
                        raise _not_rewindable(error)
                    self._log_failed(method, path, response, key, retries, started)
                    raise error
                if logger.isEnabledFor(logging.INFO):
                    logger.info(
                        "retrying %s %s in %.2fs (retry %d of %d, after %s, idempotency_key=%s)",
                        method,
                        path,
                        delay,
                        retries + 1,
                        max_retries,
                        response.status_code if response is not None else type(failure).__name__,
                        key,
                    )
                await async_sleep(delay)
                retries += 1
        except BaseException as exc:
            if call is not None:
                call.end(exc)
            raise

    async def _attempt(
        self,
        request: httpx2.Request,
        key: str | None,
        retries: int,
        attempt: _tracing.AttemptSpan | None,
    ) -> tuple[httpx2.Response | None, QBankError | None]:
        try:
            http = await self.http_client()
            response = await http.send(request)
        except BaseException as exc:
            if attempt is not None:
                attempt.end(None, exc)
            if not isinstance(exc, httpx2.TransportError):
                raise
            if isinstance(exc, httpx2.TimeoutException):
                return None, QBankTimeoutError(
                    f"{request.method} {request.url.path} timed out ({type(exc).__name__})",
                    request=request,
                    idempotency_key=key,
                    retries_taken=retries,
                )
            return None, QBankConnectionError(
                f"{request.method} {request.url.path} failed: {type(exc).__name__}: {exc}",
                request=request,
                idempotency_key=key,
                retries_taken=retries,
            )
        if attempt is not None:
            attempt.end(response.status_code, None, response.headers.get("request-id"))
        return response, None

    def _retry_delay(
        self,
        response: httpx2.Response | None,
        failure: QBankError | None,
        retries: int,
        max_retries: int,
    ) -> float | None:
        if retries >= max_retries:
            return None
        if response is None:
            return retry_delay(retries, None, max_retry_after=self.max_retry_after)
        if response.status_code not in RETRYABLE_STATUS_CODES:
            return None
        return retry_delay(retries, response.headers, max_retry_after=self.max_retry_after)

    async def _fetch_token(self) -> AccessToken:
        headers = {
            "Accept": _JSON,
            "User-Agent": self._headers["User-Agent"],
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": self._token_authorization.reveal(),
        }
        timeouts = TOKEN_TIMEOUT.as_dict()
        retries = 0
        while True:
            attempt = _tracing.start_attempt(
                "POST", "/token", self._server, headers, resend_count=retries
            )
            request = httpx2.Request(
                "POST",
                self._token_url,
                headers=headers,
                content=self._token_body,
                extensions={"timeout": timeouts},
            )
            response, failure = await self._attempt(request, None, retries, attempt)
            delay = self._retry_delay(response, failure, retries, TOKEN_MAX_RETRIES)
            if delay is None or (response is not None and response.status_code == 200):
                if response is None:
                    assert failure is not None
                    raise failure
                logger.debug("POST /token -> %s", response.status_code)
                return parse_token_response(response)
            await async_sleep(delay)
            retries += 1

    # -- logging ---------------------------------------------------------------------------

    @staticmethod
    def _log_done(
        method: str,
        path: str,
        response: httpx2.Response,
        key: str | None,
        retries: int,
        started: float,
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s request_id=%s idempotency_key=%s retries=%d elapsed=%.1fms",
                method,
                path,
                response.status_code,
                response.headers.get("request-id"),
                key,
                retries,
                (time.monotonic() - started) * 1000,
            )

    @staticmethod
    def _log_failed(
        method: str,
        path: str,
        response: httpx2.Response | None,
        key: str | None,
        retries: int,
        started: float,
    ) -> None:
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "%s %s failed: %s request_id=%s idempotency_key=%s retries=%d elapsed=%.1fms",
                method,
                path,
                response.status_code if response is not None else "no response",
                response.headers.get("request-id") if response is not None else None,
                key,
                retries,
                (time.monotonic() - started) * 1000,
            )


async def _close_with_owner(pool: httpx2.AsyncClient, owner: object) -> AsyncGenerator[None, None]:
    """Closes ``pool`` when the event loop that opened it shuts down.

    Started in that loop, this async generator is registered with its async-generator hooks:
    ``asyncio.run()`` and ``trio.run()`` finalize it as they end, while the loop still runs, the
    only moment its connections can be closed properly (once the loop is closed, closing them
    raises and dropping them leaks sockets and ``ResourceWarning``s). A pool dropped while its
    loop runs elsewhere is closed there by the loop's finalizer hook. (The blocking client's
    twin closes the pool when dropped in the process that opened it; a forked child leaves its
    parent's pool untouched: another thread may have held the pool's locks at the fork.)"""
    try:
        yield
    finally:
        if async_context_identity() == owner:
            await pool.aclose()


def _not_rewindable(error: QBankError) -> QBankError:
    error.args = (
        f"{error.args[0]} [not retried automatically: the upload stream cannot be rewound; "
        "call again with a fresh stream and the same idempotency_key]",
    )
    return error
