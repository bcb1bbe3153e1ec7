"""``AsyncQBankConnect``: the hand-written async client, from which ``QBankConnect`` is generated."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx2

from .._auth import ClientCredentials, TokenSource
from .._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    resolve_base_url,
    resolve_timeout,
    user_agent,
    validate_max_retries,
    validate_scopes,
)
from .._logging import setup_logging_from_env
from .._secrets import Secret
from .auth import AsyncOAuthTokens, AsyncStaticTokens, AsyncTokenEndpoint, AsyncTokens
from .http import AsyncHTTP
from .requester import AsyncRequester
from .resources import (
    AsyncAccounts,
    AsyncAccountsWithRawResponse,
    AsyncBalances,
    AsyncBalancesWithRawResponse,
    AsyncPayments,
    AsyncPaymentsWithRawResponse,
    AsyncPositivePay,
    AsyncPositivePayWithRawResponse,
    AsyncTransactions,
    AsyncTransactionsWithRawResponse,
    AsyncTransfers,
    AsyncTransfersWithRawResponse,
)

if TYPE_CHECKING:
    from .._backends import AsyncHTTPBackend, AsyncHTTPClient
    from .._journal import JournalEntry, RecoveryResult
    from ..webhooks import Webhooks
    from .journal import AsyncJournal
    from .token_cache import AsyncSharedTokens, AsyncTokenStore

__all__ = ["AsyncQBankConnect"]


class AsyncQBankConnect:
    """The async QBank Connect client (asyncio and trio).

    It fetches and refreshes OAuth tokens by itself, sends every transactional POST with an
    ``Idempotency-Key``, retries what is safe to retry, and raises named errors.

    Example::

        async with AsyncQBankConnect(
            client_id="...", client_secret="...", scopes=["balances.read"]
        ) as client:
            balance = await client.balances.get("acc_operating")

    Args:
        client_id, client_secret: OAuth client credentials (default: ``QBANK_CLIENT_ID``,
            ``QBANK_CLIENT_SECRET``).
        scopes: the scopes to ask for; every scope granted to the client when omitted.
        environment: ``"production"`` or ``"sandbox"``.
        base_url: overrides ``environment`` (default: ``QBANK_BASE_URL``).
        timeout: seconds or an ``httpx2.Timeout`` (default 60 s, 10 s to connect).
        max_retries: automatic retries of a failed call (default 2).
        http_client: an ``httpx2.AsyncClient`` (or a legacy ``httpx.AsyncClient``) to send with;
            used as given and never closed here. Or an ``aiohttp.ClientSession``: see below.
        http_backend: ``"httpx2"`` (the default) or ``"aiohttp"``, which sends with aiohttp at a
            fraction of the CPU per call (asyncio only, the ``[aiohttp]`` extra; an
            ``aiohttp.ClientSession`` given as ``http_client`` implies it). See docs/aiohttp.md.
        token: a pre-issued bearer token, or a callable returning the current one (no OAuth).
        token_auth_method: ``"client_secret_basic"`` (default: an ``Authorization: Basic``
            header) or ``"client_secret_post"`` (the credentials as form fields).
        webhook_secret: the secret(s) for ``client.webhooks`` (default: ``QBANK_WEBHOOK_SECRET``).
        default_headers: extra headers sent with every call.
        max_retry_after: the longest ``Retry-After`` (s) honoured; longer ones raise at once.
        journal: the payment journal for calls made with ``reference=``: a URL
            (``"sqlite:///qbank-journal.db"``, ``"postgresql://..."``; opened on first use and
            closed with the client) or a journal object (used as given, never closed here). See
            ``docs/exactly-once.md``.
        token_cache: share tokens between processes: ``"sqlite:///..."``, ``"redis://..."``,
            ``"postgresql://..."`` or an :class:`~qbank_connect.token_cache.AsyncTokenStore`
            (see docs/exactly-once.md).
    """

    accounts: AsyncAccounts
    balances: AsyncBalances
    transactions: AsyncTransactions
    payments: AsyncPayments
    transfers: AsyncTransfers
    positive_pay: AsyncPositivePay
    with_raw_response: AsyncQBankConnectWithRawResponse
    """The same operations, answering a :class:`~qbank_connect.RawResponse` with headers,
    request id, idempotency key and retry count; ``.parse()`` gives the model.

    Example::

        raw = await client.with_raw_response.balances.get("acc_operating")
        print(raw.request_id, raw.retries_taken)
        balance = raw.parse()
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        scopes: Sequence[str] | None = None,
        environment: str = "production",
        base_url: str | httpx2.URL | None = None,
        timeout: float | httpx2.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: AsyncHTTPClient | None = None,
        http_backend: AsyncHTTPBackend | None = None,
        token: TokenSource | None = None,
        token_auth_method: str = "client_secret_basic",  # noqa: S107 - a method name
        webhook_secret: str | Sequence[str] | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        journal: str | AsyncJournal | None = None,
        token_cache: AsyncTokenStore | str | None = None,
    ) -> None:
        setup_logging_from_env()
        self.base_url = resolve_base_url(base_url, environment)
        self.timeout = resolve_timeout(timeout)
        self.max_retries = validate_max_retries(max_retries)
        http = AsyncHTTP(http_client, http_backend)
        self.client_id = client_id or os.environ.get("QBANK_CLIENT_ID") or None
        tokens: AsyncTokens
        self._token_cache: AsyncSharedTokens | None = None
        if token is not None and token_cache is not None:
            raise ValueError("token_cache= shares OAuth tokens: it cannot be used with token=")
        if token is not None:
            if not callable(token) and (not isinstance(token, str) or not token):
                raise ValueError("token must be a non-empty string or a callable returning one")
            tokens = AsyncStaticTokens(token)
        else:
            secret = client_secret or os.environ.get("QBANK_CLIENT_SECRET") or None
            if not self.client_id or not secret:
                missing = (
                    "client_id (or QBANK_CLIENT_ID)"
                    if not self.client_id
                    else ("client_secret (or QBANK_CLIENT_SECRET)")
                )
                raise ValueError(f"{missing} is required unless token= is given")
            credentials = ClientCredentials(
                self.client_id,
                Secret(secret),
                validate_scopes(scopes),
                method=token_auth_method,
            )
            endpoint = AsyncTokenEndpoint(
                http,
                credentials,
                token_url=self.base_url + "/token",
                user_agent=user_agent(),
                max_retry_after=max_retry_after,
            )
            tokens = AsyncOAuthTokens(endpoint)
            if token_cache is not None:
                from .token_cache import AsyncSharedTokens  # only with a cache: sqlite3, crypto

                tokens = self._token_cache = AsyncSharedTokens.open(
                    token_cache,
                    endpoint,
                    client_id=self.client_id,
                    client_secret=Secret(secret),
                    scopes=validate_scopes(scopes),
                    base_url=self.base_url,
                )
        self._requester = AsyncRequester(
            http,
            tokens,
            base_url=self.base_url,
            default_headers=default_headers,
            max_retry_after=max_retry_after,
        )
        if journal is not None:
            from .journal import open_async_journal  # only clients with a journal load it

            self._requester.journal = open_async_journal(journal)
        self._owns_journal = isinstance(journal, str)
        if webhook_secret is None:
            webhook_secret = os.environ.get("QBANK_WEBHOOK_SECRET") or None
        # Checked now, so a bad secret fails at start-up rather than on the first delivery.
        self._webhooks = None if webhook_secret is None else _webhooks(webhook_secret)
        self._bind_resources()

    def _bind_resources(self) -> None:
        requester, timeout, max_retries = self._requester, self.timeout, self.max_retries
        self.accounts = AsyncAccounts(requester, timeout=timeout, max_retries=max_retries)
        self.balances = AsyncBalances(requester, timeout=timeout, max_retries=max_retries)
        self.transactions = AsyncTransactions(requester, timeout=timeout, max_retries=max_retries)
        self.payments = AsyncPayments(requester, timeout=timeout, max_retries=max_retries)
        self.transfers = AsyncTransfers(requester, timeout=timeout, max_retries=max_retries)
        self.positive_pay = AsyncPositivePay(requester, timeout=timeout, max_retries=max_retries)
        self.with_raw_response = AsyncQBankConnectWithRawResponse(self)

    @property
    def webhooks(self) -> Webhooks:
        """Verify and parse webhook deliveries with the client's ``webhook_secret``.

        Example::

            event = client.webhooks.unwrap(body, request.headers)
        """
        if self._webhooks is None:
            self._webhooks = _webhooks(None)
        return self._webhooks

    def with_options(
        self,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncQBankConnect:
        """A copy with other defaults, sharing this client's connections and token cache.

        Example::

            await client.with_options(timeout=5, max_retries=0).balances.get("acc_operating")
        """
        clone = copy.copy(self)
        if timeout is not None:
            clone.timeout = resolve_timeout(timeout)
        if max_retries is not None:
            clone.max_retries = validate_max_retries(max_retries)
        clone._bind_resources()
        return clone

    @property
    def journal(self) -> AsyncJournal | None:
        """The payment journal (``journal=``), or ``None`` without one.

        Example::

            for entry in await client.journal.pending():
                print(entry.reference, entry.idempotency_key)
        """
        return self._requester.journal

    async def recover(self) -> list[RecoveryResult]:
        """Settle the journal's pending calls (what a crash left without an answer); one
        :class:`~qbank_connect.journal.RecoveryResult` per entry.

        Each is sent again with its own idempotency key (QBank replays the first execution's
        answer, or executes it once); a ``409`` is followed to its answer. One whose key is older
        than QBank's 24-hour retention is never sent again (it could pay twice): it is reported
        as ``"reconcile"``, with its key, reference and body digest. Uploads are reported as
        ``"needs_file"`` (the journal keeps the file's digest, not its bytes).

        Example::

            for result in await client.recover():
                if result.action == "reconcile":
                    alert(result.reference, result.idempotency_key, result.body_digest)
        """
        journal = self._requester.journal
        if journal is None:
            raise ValueError("recover() needs a journal: create the client with journal=...")
        from .._journal import RECOVERABLE
        from .journaling import recover_journal

        requester, timeout, max_retries = self._requester, self.timeout, self.max_retries

        async def send(entry: JournalEntry, key: str) -> httpx2.Response:
            return await requester.resend(entry, key, timeout=timeout, max_retries=max_retries)

        def model(operation: str) -> type[Any] | None:
            found = RECOVERABLE.get(operation)
            return None if found is None else found[1]

        return await recover_journal(journal, send, model)

    async def authenticate(self) -> None:
        """Fetch a token now, e.g. to check the credentials at start-up (calls do it anyway).

        Example::

            await client.authenticate()   # raises QBankTokenError on bad credentials
        """
        await self._requester.tokens.get()

    async def aclose(self) -> None:
        """Close the connections this client opened (not those of an ``http_client`` you gave).

        Afterwards the client refuses calls (``QBankClosedError``), whoever owns the transport.

        Example::

            await client.aclose()
        """
        await self._requester.http.aclose()
        if self._owns_journal and self._requester.journal is not None:
            await self._requester.journal.aclose()
        if self._token_cache is not None:
            await self._token_cache.aclose()

    async def __aenter__(self) -> AsyncQBankConnect:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r} client_id={self.client_id!r}>"


def _webhooks(secret: str | Sequence[str] | None) -> Webhooks:
    from ..webhooks import Webhooks  # imported only by receivers: keeps `import` fast

    return Webhooks(secret)


class AsyncQBankConnectWithRawResponse:
    """``client.with_raw_response``: every resource, its calls answering :class:`RawResponse`."""

    def __init__(self, client: AsyncQBankConnect) -> None:
        self.accounts = AsyncAccountsWithRawResponse(client.accounts)
        self.balances = AsyncBalancesWithRawResponse(client.balances)
        self.transactions = AsyncTransactionsWithRawResponse(client.transactions)
        self.payments = AsyncPaymentsWithRawResponse(client.payments)
        self.transfers = AsyncTransfersWithRawResponse(client.transfers)
        self.positive_pay = AsyncPositivePayWithRawResponse(client.positive_pay)
