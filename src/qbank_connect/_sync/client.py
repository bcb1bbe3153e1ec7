# Generated from src/qbank_connect/_async/client.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``QBankConnect``: the blocking client."""

from __future__ import annotations

import copy
import os
import ssl
import uuid
import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import httpx2

from .._auth import SECRET_METHODS, ClientCredentials, TokenSource, make_credentials
from .._config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    resolve_base_url,
    resolve_timeout,
    user_agent,
    validate_conflict_wait,
    validate_max_retries,
    validate_scopes,
)
from .._generic import check_cast_to, generic_options, json_answer
from .._hooks import Hook, hooks_of
from .._logging import setup_logging_from_env
from .._response import parse_model
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
    import pydantic

    from .._backends import HTTPBackend, HTTPClient
    from .._private_key_jwt import PrivateKey
    from .._stores.journal import JournalEntry, JournalScope, RecoveryResult
    from .._tls import ClientCert
    from ..webhooks import Webhooks
    from .stores.journal import Journal
    from .stores.journal_calls import ClientJournal, Fence
    from .stores.token_cache import SharedTokens, TokenStore

__all__ = ["QBankConnect"]

M = TypeVar("M", bound="pydantic.BaseModel")


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
            header), ``"client_secret_post"`` (the credentials as form fields),
            ``"private_key_jwt"`` (a JWT signed with ``private_key``, RFC 7523) or
            ``"tls_client_auth"`` (the ``client_cert``, RFC 8705). See docs/connecting.md.
        client_cert: a client certificate for mutual TLS, on ``POST /token`` and every call:
            a PEM file holding certificate and key, ``(cert_path, key_path)`` or
            ``(cert_path, key_path, password)``. Re-read by :meth:`reload_client_cert`.
        ssl_context: an ``ssl.SSLContext`` for the client's connections (CA, client
            certificate, ciphers, TLS versions), used as given. ``with_options(client_cert=...)``
            or ``with_options(ssl_context=...)`` makes a copy with another certificate.
        private_key: for ``private_key_jwt``: PEM text or bytes, a path to a PEM file, or a key
            object from ``cryptography`` (RSA: RS256, or EC P-256: ES256). Needs the ``[jwt]``
            extra.
        private_key_id: the JWT ``kid``, naming the key QBank registered.
        private_key_alg: ``"PS256"`` to sign an RSA key with PSS instead of ``"RS256"``.
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
        hooks: functions told about every call: ``{"request": [...], "response": [...],
            "error": [...]}``, each given a :class:`~qbank_connect.CallInfo` (plain functions
            or coroutine functions; see docs/advanced.md).
        journal_key: the secret the journal seals bodies and answers with (AES-256-GCM), or a
            list ``[new, old, ...]`` when rotating it (the first seals, any opens). Default:
            ``QBANK_JOURNAL_KEY``, else derived from the client secret; required with
            ``token=`` (no secret). See docs/exactly-once.md.
        conflict_wait: seconds a transactional call follows a 409 (``GET /payments/{id}``),
            or waits for another sender holding its journal entry (default 60).
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
        client_cert: ClientCert | None = None,
        ssl_context: ssl.SSLContext | None = None,
        private_key: PrivateKey | None = None,
        private_key_id: str | None = None,
        private_key_alg: str | None = None,
        hooks: Mapping[str, Sequence[Hook]] | None = None,
        journal_key: str | bytes | Sequence[str | bytes] | None = None,
        conflict_wait: float | None = None,
    ) -> None:
        setup_logging_from_env()
        self._hooks = hooks_of(hooks)
        self.base_url = resolve_base_url(base_url, environment)
        self.timeout = resolve_timeout(timeout)
        self.max_retries = validate_max_retries(max_retries)
        tls = None
        if client_cert is not None or ssl_context is not None:
            if http_client is not None:
                raise ValueError(
                    "client_cert= and ssl_context= configure the client's own connections: "
                    "with http_client=, give the certificate to that client instead"
                )
            from .._tls import TLSSettings

            tls = TLSSettings(client_cert, ssl_context)
        self.client_id = client_id or os.environ.get("QBANK_CLIENT_ID") or None
        self._credentials: ClientCredentials | None = None  # for copies with a certificate
        self._bound_tokens = token_auth_method == "tls_client_auth"
        self._max_retry_after = max_retry_after
        self._default_headers = default_headers
        self._http_backend = http_backend
        # Connections of with_options(client_cert=/ssl_context=) copies: closed with the client.
        self._family: weakref.WeakSet[HTTP] = weakref.WeakSet()
        self._own_connections_only = False  # a copy with a certificate: closes its own only
        tokens: Tokens
        secret: str | None = None  # seals the journal when no journal_key is given
        self._token_cache: SharedTokens | None = None
        if token is not None and token_cache is not None:
            raise ValueError("token_cache= shares OAuth tokens: it cannot be used with token=")
        if token is not None:
            if not callable(token) and (not isinstance(token, str) or not token):
                raise ValueError("token must be a non-empty string or a callable returning one")
            if private_key is not None:
                raise ValueError("private_key= signs token requests: it cannot be used with token=")
            tokens = StaticTokens(token)
            http = HTTP(http_client, tls, http_backend)
        else:
            if token_cache is not None and token_auth_method not in SECRET_METHODS:
                raise ValueError(
                    "token_cache= seals tokens with the client secret: it cannot be used with "
                    f"token_auth_method={token_auth_method!r}"
                )
            credentials = make_credentials(
                self.client_id,
                client_secret,
                validate_scopes(scopes),
                method=token_auth_method,
                token_url=self.base_url + "/token",
                private_key=private_key,
                private_key_id=private_key_id,
                private_key_alg=private_key_alg,
                # With http_client=, the certificate (if any) is that client's to present.
                has_certificate=tls is not None or http_client is not None,
            )
            self._credentials = credentials
            secret = None if credentials.secret is None else credentials.secret.reveal()
            http = HTTP(http_client, tls, http_backend)  # after the checks: loads the cert
            endpoint = TokenEndpoint(
                http,
                credentials,
                token_url=self.base_url + "/token",
                user_agent=user_agent(),
                max_retry_after=max_retry_after,
            )
            tokens = OAuthTokens(endpoint, bound=token_auth_method == "tls_client_auth")
            if token_cache is not None:
                from .stores.token_cache import (
                    SharedTokens,  # only with a cache: sqlite3, crypto
                )

                assert credentials.secret is not None  # a secret method: checked above
                tokens = self._token_cache = SharedTokens.open(
                    token_cache,
                    endpoint,
                    client_id=credentials.client_id,
                    client_secret=credentials.secret,
                    scopes=validate_scopes(scopes),
                    base_url=self.base_url,
                )
        opened: Journal | None = None
        scope: JournalScope | None = None
        if journal is not None:
            from .._stores.journal import journal_scope
            from .stores.journal import open_journal  # only clients with a journal load it

            opened = open_journal(journal)
            scope = journal_scope(
                self.base_url, self.client_id, journal_key=journal_key, client_secret=secret
            )
        self._requester = Requester(
            http,
            tokens,
            base_url=self.base_url,
            default_headers=default_headers,
            max_retry_after=max_retry_after,
            journal=opened,
            journal_scope=scope,
            conflict_wait=None if conflict_wait is None else validate_conflict_wait(conflict_wait),
        )
        self._owns_journal = isinstance(journal, str)
        if webhook_secret is None:
            webhook_secret = os.environ.get("QBANK_WEBHOOK_SECRET") or None
        # Checked now, so a bad secret fails at start-up rather than on the first delivery.
        self._webhooks = None if webhook_secret is None else _webhooks(webhook_secret)
        self._bind_resources()

    def _bind_resources(self) -> None:
        requester = self._requester
        limits: dict[str, Any] = {
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "hooks": self._hooks,
        }
        self.accounts = Accounts(requester, **limits)
        self.balances = Balances(requester, **limits)
        self.transactions = Transactions(requester, **limits)
        self.payments = Payments(requester, **limits)
        self.transfers = Transfers(requester, **limits)
        self.positive_pay = PositivePay(requester, **limits)
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
        hooks: Mapping[str, Sequence[Hook]] | None = None,
        client_cert: ClientCert | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> QBankConnect:
        """A copy with other defaults, sharing this client's connections and token cache.

        ``hooks`` replaces the client's hooks in the copy (``hooks={}``: none).

        ``client_cert=`` or ``ssl_context=`` gives the copy a certificate of its own: it opens
        its own connections with it and fetches its own tokens over them (bound to it with
        ``tls_client_auth``), while this client keeps its certificate, connections and tokens,
        and its calls in flight finish undisturbed. Closing the copy closes its connections
        only; closing this client closes the copy's too. To rotate the certificate of this
        client and all its copies at once, use :meth:`reload_client_cert`.

        Example::

            client.with_options(timeout=5, max_retries=0).balances.get("acc_operating")
            renewed = client.with_options(ssl_context=new_context)  # new connections, new cert
        """
        clone = copy.copy(self)
        if client_cert is not None or ssl_context is not None:
            clone._requester = self._with_certificate(client_cert, ssl_context)
            clone._own_connections_only = True
        if timeout is not None:
            clone.timeout = resolve_timeout(timeout)
        if max_retries is not None:
            clone.max_retries = validate_max_retries(max_retries)
        if hooks is not None:
            clone._hooks = hooks_of(hooks)
        clone._bind_resources()
        return clone

    def _with_certificate(
        self, client_cert: ClientCert | None, ssl_context: ssl.SSLContext | None
    ) -> Requester:
        """A requester over new connections presenting the given certificate, with tokens of
        its own (fetched over them), sharing the journal."""
        from .._tls import TLSSettings

        current = self._requester
        if current.http.injected:
            raise ValueError(
                "client_cert= and ssl_context= configure the client's own connections: "
                "with http_client=, give the certificate to that client instead"
            )
        http = HTTP(None, TLSSettings(client_cert, ssl_context), self._http_backend)
        tokens: Tokens = current.tokens
        if self._credentials is not None:
            # Not the shared ones (nor token_cache=): a token may be bound to the certificate
            # it was issued over (RFC 8705), so the copy's come over its own connections.
            endpoint = TokenEndpoint(
                http,
                self._credentials,
                token_url=self.base_url + "/token",
                user_agent=user_agent(),
                max_retry_after=self._max_retry_after,
            )
            tokens = OAuthTokens(endpoint, bound=self._bound_tokens)
        self._family.add(current.http)
        self._family.add(http)
        return Requester(
            http,
            tokens,
            base_url=self.base_url,
            default_headers=self._default_headers,
            max_retry_after=self._max_retry_after,
            journal=current.journal,
            journal_scope=current.journal_scope,
            conflict_wait=current.conflict_wait,
        )

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        cast_to: type[M],
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> M: ...

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        cast_to: None = None,
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        json: object = None,
        cast_to: type[M] | None = None,
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call any path under the base URL (one the SDK does not wrap yet) through the whole
        pipeline: token, retries, idempotency, journal, error mapping, tracing and hooks.

        ``path`` is relative to the base URL (``"/payments/ach"``); an absolute URL, a
        ``//host`` path or a ``..`` segment is refused. A ``POST`` carries an
        ``Idempotency-Key`` (the operation's own rules for the SDK's transactional paths, where
        ``reference=`` works with the journal too). The answer is ``cast_to`` (a model class)
        or the decoded JSON, numbers with a fraction as ``Decimal``.

        Example::

            payment = client.request(
                "POST", "/transfers", cast_to=Payment, reference="sweep:2026-11-21",
                json={"source_account_id": "acc_operating",
                      "destination_account_id": "acc_payroll", "amount": "2500.00"},
            )
            raw = client.request("GET", "/balances/acc_operating")   # a dict
        """
        check_cast_to(cast_to)
        options = generic_options(
            method,
            path,
            params=params,
            json_body=json,
            idempotency_key=idempotency_key,
            reference=reference,
            extra_headers=extra_headers,
            timeout=self.timeout if timeout is None else resolve_timeout(timeout),
            max_retries=(
                self.max_retries if max_retries is None else validate_max_retries(max_retries)
            ),
        )._replace(hooks=self._hooks)
        requester = self._requester
        key = requester.key_for(options)
        if cast_to is None:
            return requester.call(options, key, lambda response: json_answer(response, key))
        model = cast_to
        return requester.call(options, key, lambda response: parse_model(model, response, key))

    @property
    def journal(self) -> ClientJournal | None:
        """The payment journal (``journal=``) as this client sees it (its bank and client id:
        ``pending``, ``get``, ``resolve``, ``prune``), or ``None`` without one.

        Example::

            for entry in client.journal.pending():
                print(entry.state, entry.reference, entry.idempotency_key)
        """
        requester = self._requester
        if requester.journal is None or requester.journal_scope is None:
            return None
        from .stores.journal_calls import ClientJournal

        return ClientJournal(requester.journal, requester.journal_scope)

    def recover(
        self, *, concurrency: int = 8, deadline: float | None = None
    ) -> list[RecoveryResult]:
        """Settle the journal's pending calls (what a crash left without an answer); one
        :class:`~qbank_connect.journal.RecoveryResult` per entry.

        The age of each entry is checked first, on the journal's clock: one whose key may be
        past QBank's 24-hour retention is never sent again (it could pay twice) and is reported
        as ``"reconcile"``, with its key, reference and body digest. The others are sent again
        under a lease with their own idempotency key (QBank replays the first execution's
        answer, or executes it once); a ``409`` is followed with ``GET /payments/{id}``.
        Uploads are reported as ``"needs_file"`` (the journal keeps the file's digest, not its
        bytes). ``concurrency`` entries at a time; after ``deadline`` seconds nothing new is
        started (the rest are reported ``"unsettled"``).

        Example::

            for result in client.recover():
                if result.action == "reconcile":
                    alert(result.reference, result.idempotency_key, result.body_digest)
        """
        journal, scope = self._requester.journal, self._requester.journal_scope
        if journal is None or scope is None:
            raise ValueError("recover() needs a journal: create the client with journal=...")
        from .._stores.journal import RECOVERABLE
        from .stores.journal_calls import recover_journal

        requester, timeout, max_retries = self._requester, self.timeout, self.max_retries

        hooks = self._hooks

        def send(entry: JournalEntry, key: str, fence: Fence) -> httpx2.Response:
            return requester.resend(
                entry, key, fence, timeout=timeout, max_retries=max_retries, hooks=hooks
            )

        def model(operation: str) -> type[Any] | None:
            found = RECOVERABLE.get(operation)
            return None if found is None else found[1]

        return recover_journal(
            journal,
            scope,
            send,
            model,
            follow=requester.follow_conflict,
            fetch=requester.fetch_payment,
            conflict_wait=requester.conflict_wait,
            concurrency=concurrency,
            deadline=deadline,
        )

    def authenticate(self) -> list[str] | None:
        """Fetch a token now, e.g. to check the credentials at start-up (calls do it anyway).

        Returns the scopes the token grants (``None`` when the server did not say, or with
        ``token=``); never the token itself.

        Example::

            scopes = client.authenticate()   # raises QBankTokenError on bad credentials
        """
        token = self._requester.tokens.get()
        return None if token.scope is None else token.scope.split()

    def reload_client_cert(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        """Rotate the client certificate without a restart: read the ``client_cert=`` files
        again (replace them on disk first), or use a new ``ssl_context`` (for a client created
        with ``ssl_context=``).

        New connections present the new certificate. Calls in flight finish on their old
        connections, which close once the last is done. A token bound to the old certificate
        (``tls_client_auth``) is dropped, so the next call fetches one bound to the new one.
        A bad new certificate raises :class:`~qbank_connect.QBankCertificateError` and the old
        one stays in use. It applies to this client and the ``with_options`` copies sharing its
        connections (not to a copy given its own ``client_cert=`` or ``ssl_context=``).

        Example::

            client.reload_client_cert()   # after the renewed files were written
        """
        self._requester.http.rotate(ssl_context)
        self._requester.tokens.forget_bound()

    def close(self) -> None:
        """Close the connections this client opened (not those of an ``http_client`` you gave).

        Afterwards the client refuses calls (``QBankClosedError``), whoever owns the transport.

        Example::

            client.close()
        """
        self._requester.http.close()
        if self._own_connections_only:  # the rest is the client's it was copied from
            return
        for http in list(self._family):  # with_options(client_cert=/ssl_context=) copies
            http.close()
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
