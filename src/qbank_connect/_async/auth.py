"""Bearer tokens for the async client: cached, refreshed ahead of expiry, fetched single-flight."""

from __future__ import annotations

from typing import Protocol

from .. import _tracing
from .._auth import AccessToken, ClientCredentials, TokenSource, parse_token_response
from .._concurrency import AsyncLock, async_sleep
from .._config import TOKEN_MAX_RETRIES, TOKEN_TIMEOUT
from .._logging import logger
from .._retry import retry_delay_after
from .._stores.clock import CLOCK_SKEW
from ..errors import QBankTLSError
from .http import AsyncHTTP

__all__ = [
    "AsyncOAuthTokens",
    "AsyncStaticTokens",
    "AsyncTokenEndpoint",
    "AsyncTokenFetcher",
    "AsyncTokens",
]


class AsyncTokenFetcher(Protocol):
    async def __call__(self) -> AccessToken: ...


class AsyncTokens:
    """Where the client's bearer tokens come from."""

    refreshable = False

    async def get(self) -> AccessToken:
        raise NotImplementedError

    def invalidate(self, token: AccessToken) -> None:
        """Forget ``token`` after a 401, unless a newer one already replaced it."""

    def forget_bound(self) -> None:
        """Forget a token bound to the client certificate (``tls_client_auth``), which
        was just replaced."""


class AsyncStaticTokens(AsyncTokens):
    """A pre-issued token (``token="..."``), or a callable asked for the current one on every call."""

    def __init__(self, source: TokenSource) -> None:
        self._source = source
        self.refreshable = callable(source)
        self._fixed = None if callable(source) else AccessToken(source, expires_in=None)

    async def get(self) -> AccessToken:
        if self._fixed is not None:
            return self._fixed
        assert callable(self._source)
        value = self._source()
        if not isinstance(value, str) or not value:
            raise ValueError("the token= callable must return a non-empty string")
        return AccessToken(value, expires_in=None)


class AsyncOAuthTokens(AsyncTokens):
    """Client-credentials tokens with single flight.

    However many calls find no valid token at once, exactly one of them asks ``POST /token``;
    the others wait for its result. If that request fails, every waiter gets its error, and the
    next call tries again.
    """

    refreshable = True

    def __init__(self, fetch: AsyncTokenFetcher, *, bound: bool = False) -> None:
        self._fetch = fetch
        self._bound = bound  # tokens are bound to the client certificate (RFC 8705)
        self._token: AccessToken | None = None
        self._lock = AsyncLock()
        self._generation = 0
        self._failure: BaseException | None = None

    async def get(self) -> AccessToken:
        token = self._token
        if token is not None and token.is_fresh():
            return token
        generation = self._generation
        async with self._lock:
            token = self._token
            if token is not None and token.is_fresh():
                return token
            failure = self._failure
            if failure is not None and self._generation != generation:
                # The request we queued behind failed: share its error instead of asking again.
                raise failure.with_traceback(None)
            try:
                token = await self._fetch()
            except Exception as exc:
                self._failure = exc
                self._generation += 1
                raise
            self._token, self._failure = token, None
            self._generation += 1
            return token

    def invalidate(self, token: AccessToken) -> None:
        if self._token is token:
            self._token = None

    def forget_bound(self) -> None:
        if self._bound:
            self._token = None


class AsyncTokenEndpoint:
    """``POST /token`` with the client credentials: one token, retried like any safe call."""

    def __init__(
        self,
        http: AsyncHTTP,
        credentials: ClientCredentials,
        *,
        token_url: str,
        user_agent: str,
        max_retry_after: float,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._token_url = token_url
        self._server = _tracing.server_of(token_url)  # OpenTelemetry: server.address/port
        self._user_agent = user_agent
        self._max_retry_after = max_retry_after

    async def __call__(self) -> AccessToken:
        headers, body = self._credentials.token_request(self._user_agent)
        timeout = TOKEN_TIMEOUT.as_dict()
        retries = 0
        while True:
            # OpenTelemetry: each POST /token is an attempt span under the call that needed it.
            attempt = _tracing.start_attempt(
                "POST", "/token", self._server, headers, resend_count=retries
            )
            response, failure = await self._http.request(
                "POST",
                self._token_url,
                headers=headers,
                timeout=timeout,
                content=body,
                retries=retries,
                attempt=attempt,
            )
            status = None if response is None else response.status_code
            delay = None
            if status != 200 and not isinstance(failure, QBankTLSError):  # a refusal stays one
                delay = retry_delay_after(
                    status,
                    None if response is None else response.headers,
                    retries,
                    max_retries=TOKEN_MAX_RETRIES,
                    max_retry_after=self._max_retry_after,
                )
            if delay is None:
                if response is None:
                    assert failure is not None
                    raise failure
                logger.debug("POST /token -> %s", status)
                CLOCK_SKEW.observe(response.headers.get("date"))  # for the payment journal
                return parse_token_response(response)  # the token, or the named error
            await async_sleep(delay)
            retries += 1
