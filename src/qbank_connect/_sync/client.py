# Generated from src/qbank_connect/_async/client.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``QBankConnect``: the blocking client."""

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
from .auth import OAuthTokens, StaticTokens, TokenEndpoint, Tokens
from .http import HTTP
from .requester import Requester
from .resources import (
    Accounts,
    AccountsWithRawResponse,
    Balances,
    BalancesWithRawResponse,
    Payments,
    PaymentsWithRawResponse,
    PositivePay,
    PositivePayWithRawResponse,
    Transactions,
    TransactionsWithRawResponse,
    Transfers,
    TransfersWithRawResponse,
)

if TYPE_CHECKING:
    from .._backends import HTTPBackend, HTTPClient
    from .._journal import JournalEntry, RecoveryResult
    from ..webhooks import Webhooks
    from .journal import Journal
    from .token_cache import SharedTokens, TokenStore

__all__ = ["QBankConnect"]


class QBankConnect:
    """The QBank Connect client, blocking (thread-safe; fork-safe for Celery and gunicorn).

    It fetches and refreshes OAuth tokens by itself, sends every transactional POST with an
    ``Idempotency-Key``, retries what is safe to retry, and raises named errors.

    Example::

        with QBankConnect(
            client_id="...", client_secret="...", scopes=["balances.read"]
        ) as client:
            balance = client.balances.get("acc_operating")

    Args:
        client_id, client_secret: OAuth client credentials (default: ``QBANK_CLIENT_ID``,
            ``QBANK_CLIENT_SECRET``).
        scopes: the scopes to ask for; every scope granted to the client when omitted.
        environment: ``"production"`` or ``"sandbox"``.
        base_url: overrides ``environment`` (default: ``QBANK_BASE_URL``).
        timeout: seconds or an ``httpx2.Timeout`` (default 60 s, 10 s to connect).
        max_retries: automatic retries of a failed call (default 2).
        http_client: an ``httpx2.Client`` (or a legacy ``httpx.Client``) to send with;
            used as given and never closed here.
        http_backend: ``"httpx2"`` only (the default): the aiohttp backend is
            the async client's (docs/aiohttp.md).
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
            ``"postgresql://..."`` or an :class:`~qbank_connect.token_cache.TokenStore`
            (see docs/exactly-once.md).
    """

    accounts: Accounts
    balances: Balances
    transactions: Transactions
    payments: Payments
    transfers: Transfers
    positive_pay: PositivePay
    with_raw_response: QBankConnectWithRawResponse
    """The same operations, answering a :class:`~qbank_connect.RawResponse` with headers,
    request id, idempotency key and retry count; ``.parse()`` gives the model.

    Example::

        raw = client.with_raw_response.balances.get("acc_operating")
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
        http_client: HTTPClient | None = None,
        http_backend: HTTPBackend | None = None,
        token: TokenSource | None = None,
        token_auth_method: str = "client_secret_basic",  # noqa: S107 - a method name
        webhook_secret: str | Sequence[str] | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        journal: str | Journal | None = None,
        token_cache: TokenStore | str | None = None,
    ) -> None:
        setup_logging_from_env()
        self.base_url = resolve_base_url(base_url, environment)
        self.timeout = resolve_timeout(timeout)
        self.max_retries = validate_max_retries(max_retries)
        http = HTTP(http_client, http_backend)
        self.client_id = client_id or os.environ.get("QBANK_CLIENT_ID") or None
        tokens: Tokens
        self._token_cache: SharedTokens | None = None
        if token is not None and token_cache is not None:
            raise ValueError("token_cache= shares OAuth tokens: it cannot be used with token=")
        if token is not None:
            if not callable(token) and (not isinstance(token, str) or not token):
                raise ValueError("token must be a non-empty string or a callable returning one")
            tokens = StaticTokens(token)
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
            endpoint = TokenEndpoint(
                http,
                credentials,
                token_url=self.base_url + "/token",
                user_agent=user_agent(),
                max_retry_after=max_retry_after,
            )
            tokens = OAuthTokens(endpoint)
            if token_cache is not None:
                from .token_cache import SharedTokens  # only with a cache: sqlite3, crypto

                tokens = self._token_cache = SharedTokens.open(
                    token_cache,
                    endpoint,
                    client_id=self.client_id,
                    client_secret=Secret(secret),
                    scopes=validate_scopes(scopes),
                    base_url=self.base_url,
                )
        self._requester = Requester(
            http,
            tokens,
            base_url=self.base_url,
            default_headers=default_headers,
            max_retry_after=max_retry_after,
        )
        if journal is not None:
            from .journal import open_journal  # only clients with a journal load it

            self._requester.journal = open_journal(journal)
        self._owns_journal = isinstance(journal, str)
        if webhook_secret is None:
            webhook_secret = os.environ.get("QBANK_WEBHOOK_SECRET") or None
        # Checked now, so a bad secret fails at start-up rather than on the first delivery.
        self._webhooks = None if webhook_secret is None else _webhooks(webhook_secret)
        self._bind_resources()

    def _bind_resources(self) -> None:
        requester, timeout, max_retries = self._requester, self.timeout, self.max_retries
        self.accounts = Accounts(requester, timeout=timeout, max_retries=max_retries)
        self.balances = Balances(requester, timeout=timeout, max_retries=max_retries)
        self.transactions = Transactions(requester, timeout=timeout, max_retries=max_retries)
        self.payments = Payments(requester, timeout=timeout, max_retries=max_retries)
        self.transfers = Transfers(requester, timeout=timeout, max_retries=max_retries)
        self.positive_pay = PositivePay(requester, timeout=timeout, max_retries=max_retries)
        self.with_raw_response = QBankConnectWithRawResponse(self)

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
    ) -> QBankConnect:
        """A copy with other defaults, sharing this client's connections and token cache.

        Example::

            client.with_options(timeout=5, max_retries=0).balances.get("acc_operating")
        """
        clone = copy.copy(self)
        if timeout is not None:
            clone.timeout = resolve_timeout(timeout)
        if max_retries is not None:
            clone.max_retries = validate_max_retries(max_retries)
        clone._bind_resources()
        return clone

    @property
    def journal(self) -> Journal | None:
        """The payment journal (``journal=``), or ``None`` without one.

        Example::

            for entry in client.journal.pending():
                print(entry.reference, entry.idempotency_key)
        """
        return self._requester.journal

    def recover(self) -> list[RecoveryResult]:
        """Settle the journal's pending calls (what a crash left without an answer); one
        :class:`~qbank_connect.journal.RecoveryResult` per entry.

        Each is sent again with its own idempotency key (QBank replays the first execution's
        answer, or executes it once); a ``409`` is followed to its answer. One whose key is older
        than QBank's 24-hour retention is never sent again (it could pay twice): it is reported
        as ``"reconcile"``, with its key, reference and body digest. Uploads are reported as
        ``"needs_file"`` (the journal keeps the file's digest, not its bytes).

        Example::

            for result in client.recover():
                if result.action == "reconcile":
                    alert(result.reference, result.idempotency_key, result.body_digest)
        """
        journal = self._requester.journal
        if journal is None:
            raise ValueError("recover() needs a journal: create the client with journal=...")
        from .._journal import RECOVERABLE
        from .journaling import recover_journal

        requester, timeout, max_retries = self._requester, self.timeout, self.max_retries

        def send(entry: JournalEntry, key: str) -> httpx2.Response:
            return requester.resend(entry, key, timeout=timeout, max_retries=max_retries)

        def model(operation: str) -> type[Any] | None:
            found = RECOVERABLE.get(operation)
            return None if found is None else found[1]

        return recover_journal(journal, send, model)

    def authenticate(self) -> None:
        """Fetch a token now, e.g. to check the credentials at start-up (calls do it anyway).

        Example::

            client.authenticate()   # raises QBankTokenError on bad credentials
        """
        self._requester.tokens.get()

    def close(self) -> None:
        """Close the connections this client opened (not those of an ``http_client`` you gave).

        Afterwards the client refuses calls (``QBankClosedError``), whoever owns the transport.

        Example::

            client.close()
        """
        self._requester.http.close()
        if self._owns_journal and self._requester.journal is not None:
            self._requester.journal.close()
        if self._token_cache is not None:
            self._token_cache.close()

    def __enter__(self) -> QBankConnect:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r} client_id={self.client_id!r}>"


def _webhooks(secret: str | Sequence[str] | None) -> Webhooks:
    from ..webhooks import Webhooks  # imported only by receivers: keeps `import` fast

    return Webhooks(secret)


class QBankConnectWithRawResponse:
    """``client.with_raw_response``: every resource, its calls answering :class:`RawResponse`."""

    def __init__(self, client: QBankConnect) -> None:
        self.accounts = AccountsWithRawResponse(client.accounts)
        self.balances = BalancesWithRawResponse(client.balances)
        self.transactions = TransactionsWithRawResponse(client.transactions)
        self.payments = PaymentsWithRawResponse(client.payments)
        self.transfers = TransfersWithRawResponse(client.transfers)
        self.positive_pay = PositivePayWithRawResponse(client.positive_pay)
