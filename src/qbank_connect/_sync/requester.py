# Generated from src/qbank_connect/_async/requester.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""The request pipeline of the blocking client: auth, idempotency, retries, errors, parsing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar, cast

import httpx2
import pydantic

from .. import _tracing
from .._concurrency import blocking_check, sleep
from .._config import user_agent
from .._hooks import HookedCall, Hooks, run_hooks
from .._idempotency import idempotency_key_for, new_idempotency_key
from .._logging import logger
from .._options import RequestOptions
from .._response import RAW, RawResponse, error_from_response, parse_model
from .._retry import retry_delay_after
from .._stores.clock import CLOCK_SKEW
from .._stores.journal import CONFLICT_WAIT, RECOVERABLE
from ..errors import QBankError, QBankIdempotencyConflict, QBankNotFoundError, QBankTLSError
from .auth import Tokens
from .http import HTTP
from .pagination import Page

if TYPE_CHECKING:
    from .._stores.journal import JournalEntry, JournalScope
    from ..models.pages import ListEnvelope
    from .stores.journal import Journal
    from .stores.journal_calls import Fence

__all__ = ["Requester"]

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")
R = TypeVar("R")

_JSON = "application/json"


class Requester:
    """Sends one logical API call, however many HTTP attempts it takes.

    Owned by the client and shared by its ``with_options`` copies, so they share the connection
    pool and the token cache."""

    def __init__(
        self,
        http: HTTP,
        tokens: Tokens,
        *,
        base_url: str,
        default_headers: Mapping[str, str] | None,
        max_retry_after: float,
        journal: Journal | None = None,
        journal_scope: JournalScope | None = None,
        conflict_wait: float | None = None,
    ) -> None:
        self.http = http
        self._sender = http.sender  # aiohttp's transport itself on that backend
        self.tokens = tokens
        self.base_url = base_url
        self._server = _tracing.server_of(base_url)  # OpenTelemetry: server.address/port
        self.max_retry_after = max_retry_after
        headers = {"Accept": _JSON, "User-Agent": user_agent()}
        headers.update(default_headers or {})
        self._headers = headers
        self.journal = journal
        """The client's payment journal (``journal=``): calls with a ``reference`` go through it."""
        self.journal_scope = journal_scope
        """The bank, client id and sealer of this client's journal entries."""
        self.conflict_wait = CONFLICT_WAIT if conflict_wait is None else conflict_wait
        """Seconds a call follows a 409 (``GET /payments/{transaction_id}``) by default."""

    def request(self, options: RequestOptions, cast_to: type[M]) -> M:
        """Send the call and parse the answer into ``cast_to``.

        Inside ``with_raw_response`` the answer is a :class:`RawResponse` instead (the public
        wrappers type it so)."""
        key = self.key_for(options)

        def parse(response: httpx2.Response) -> M:
            return parse_model(cast_to, response, key)

        if options.hooks is None:  # the common case: no hook state at all
            return self._route(options, key, parse, None)
        return self._hooked_call(options, key, parse)

    def call(
        self, options: RequestOptions, key: str | None, parse: Callable[[httpx2.Response], R]
    ) -> R:
        """Send the call under ``key`` (journaled when it has a reference and the client a
        journal) and ``parse`` its 2xx answer; tell the hooks, if the client has any."""
        if options.hooks is None:
            return self._route(options, key, parse, None)
        return self._hooked_call(options, key, parse)

    def _route(
        self,
        options: RequestOptions,
        key: str | None,
        parse: Callable[[httpx2.Response], R],
        hooked: HookedCall | None,
    ) -> R:
        if options.reference is not None and self.journal is not None:
            return self._journaled(options, parse, key, hooked)
        if not options.transactional:
            return self._send(options, key, parse, hooked)
        started = time.monotonic()
        try:
            return self._send(options, key, parse, hooked)
        except QBankIdempotencyConflict as conflict:
            # The contract: do not retry, poll the transaction. Never re-POSTed here.
            wait = self._conflict_wait(options)
            if conflict.transaction_id is None or wait <= 0 or options.operation not in _FOLLOW:
                raise
            found = self.follow_conflict(conflict.transaction_id, wait)
            if found is None:
                raise
            return self._answer(found, parse, key, started)

    def _hooked_call(
        self, options: RequestOptions, key: str | None, parse: Callable[[httpx2.Response], R]
    ) -> R:
        assert options.hooks is not None
        call: HookedCall | None = None
        try:
            call = self._hooked(options, options.hooks, key)
            return self._route(options, key, parse, call)
        except Exception as error:
            _report_final(options.hooks, call, options, key, error)
            raise

    @staticmethod
    def _hooked(options: RequestOptions, hooks: Hooks, key: str | None) -> HookedCall:
        """The hook state of a call; its first attempt's ``request`` hooks run now, before the
        journal records the call or a token is fetched, so a veto leaves no trace."""
        call = HookedCall(
            hooks,
            method=options.method,
            path=options.path,
            operation=options.operation,
            key=key,
            reference=options.reference,
        )
        if hooks.request:
            call.attempt = 1
            run_hooks("request", hooks.request, call.info())
            call.attempt = 0
        call.first_ran = True
        return call

    def _conflict_wait(self, options: RequestOptions) -> float:
        return self.conflict_wait if options.conflict_wait is None else options.conflict_wait

    @staticmethod
    def _answer(
        response: httpx2.Response,
        parse: Callable[[httpx2.Response], R],
        key: str | None,
        started: float,
    ) -> R:
        if RAW.get():
            answer = RawResponse(
                response,
                parse=parse,
                idempotency_key=key,
                retries_taken=0,
                elapsed=timedelta(seconds=time.monotonic() - started),
            )
            return cast(R, answer)
        return parse(response)

    def follow_conflict(self, transaction_id: str, wait: float) -> httpx2.Response | None:
        """Poll ``GET /payments/{transaction_id}`` until it answers or ``wait`` seconds pass
        (the in-flight payment does not exist until QBank finished executing it)."""
        from .._validation import path_id

        path = "/payments/" + path_id("transaction_id", transaction_id)
        options = RequestOptions(
            "GET",
            path,
            "getPayment",
            "/payments/{payment_id}",
            timeout=httpx2.Timeout(max(wait, 1.0), connect=min(10.0, max(wait, 1.0))),
            max_retries=0,
        )
        deadline = time.monotonic() + wait
        poll = 0.1
        token = RAW.set(False)
        try:
            while True:
                try:
                    return self._send(options, None, _itself, None)
                except QBankNotFoundError:
                    pass  # not executed yet
                except QBankError as error:
                    if logger.isEnabledFor(logging.INFO):
                        logger.info("following transaction %s: %s", transaction_id, error)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                sleep(min(poll, left))
                poll = min(poll * 1.5, 2.0)
        finally:
            RAW.reset(token)

    def fetch_payment(self, payment_id: str) -> httpx2.Response:
        """``GET /payments/{payment_id}`` (a payment an operator resolved in the journal)."""
        from .._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, resolve_timeout
        from .._validation import path_id

        path = "/payments/" + path_id("payment_id", payment_id)
        options = RequestOptions(
            "GET",
            path,
            "getPayment",
            "/payments/{payment_id}",
            timeout=resolve_timeout(DEFAULT_TIMEOUT),
            max_retries=DEFAULT_MAX_RETRIES,
        )
        token = RAW.set(False)
        try:
            return self._send(options, None, _itself, None)
        finally:
            RAW.reset(token)

    def _journaled(
        self,
        options: RequestOptions,
        parse: Callable[[httpx2.Response], R],
        key: str | None,
        hooked: HookedCall | None,
    ) -> R:
        """A call with a reference on a client with a journal: recorded before its first
        attempt, answered from the journal once settled (``docs/exactly-once.md``)."""
        from .stores.journal_calls import call_journaled, journal_entry

        assert self.journal is not None and self.journal_scope is not None and key is not None
        started = time.monotonic()
        entry = journal_entry(options, key)
        if not CLOCK_SKEW.observed:
            # The token's answer carries QBank's Date: know this host's skew before the journal
            # stamps anything (the token is needed for the first attempt anyway).
            self.tokens.get()

        def send(key: str, fence: Fence) -> httpx2.Response:
            token = RAW.set(False)  # the journal needs the answer itself, raw or not
            try:
                replaced = options._replace(idempotency_key=key)
                return self._send(replaced, key, _itself, hooked, fence)
            finally:
                RAW.reset(token)

        response = call_journaled(
            self.journal,
            self.journal_scope,
            entry,
            send,
            follow=self.follow_conflict if options.operation in _FOLLOW else None,
            fetch=self.fetch_payment,
            conflict_wait=self._conflict_wait(options),
        )
        return self._answer(response, parse, key, started)

    def resend(
        self,
        entry: JournalEntry,
        key: str,
        fence: Fence,
        *,
        timeout: httpx2.Timeout,
        max_retries: int,
        hooks: Hooks | None = None,
    ) -> httpx2.Response:
        """Send a journaled JSON call again from its entry, under ``key`` (``recover()``)."""
        path = RECOVERABLE[entry.operation][0]
        options = RequestOptions(
            "POST",
            path,
            entry.operation,
            path,
            json_body=entry.body.encode("utf-8"),
            transactional=True,
            idempotency_key=key,
            timeout=timeout,
            max_retries=max_retries,
            reference=entry.reference,
            hooks=hooks,
        )
        token = RAW.set(False)
        try:
            if hooks is None:
                return self._send(options, key, _itself, None, fence)
            call = HookedCall(
                hooks,
                method="POST",
                path=path,
                operation=entry.operation,
                key=key,
                reference=entry.reference,
            )
            try:
                return self._send(options, key, _itself, call, fence)
            except Exception as error:
                _report_final(hooks, call, options, key, error)
                raise
        finally:
            RAW.reset(token)

    def request_page(
        self,
        options: RequestOptions,
        cast_to: type[ListEnvelope[T]],
    ) -> Page[T]:
        """Send a list call; the page fetches the following ones with the same options."""

        def fetch(cursor: str) -> Page[T]:
            params = {**(options.params or {}), "cursor": cursor}
            following = options._replace(params=params)
            # Following pages are parsed even from with_raw_response: only the first is raw.
            token = RAW.set(False)
            try:
                return self.request_page(following, cast_to)
            finally:
                RAW.reset(token)

        def parse(response: httpx2.Response) -> Page[T]:
            envelope = parse_model(cast_to, response, None)
            return Page(envelope.data, envelope.next_cursor, fetch)

        if options.hooks is None:
            return self._send(options, None, parse, None)
        return self._hooked_call(options, None, parse)

    # -- the pipeline ----------------------------------------------------------------------

    def key_for(self, options: RequestOptions) -> str | None:
        """The call's ``Idempotency-Key``: the caller's, derived from its reference, or new."""
        if not options.transactional:
            return None
        if options.idempotency_key is not None:
            return options.idempotency_key
        if options.reference is not None:
            # The same reference gets the same key in every process, on every day.
            return idempotency_key_for(options.operation, options.reference)
        return new_idempotency_key()

    def _send(
        self,
        options: RequestOptions,
        key: str | None,
        parse: Callable[[httpx2.Response], R],
        hooked: HookedCall | None,
        fence: Fence | None = None,
    ) -> R:
        blocking_check()
        # OpenTelemetry (_tracing): the call's span around every attempt; None when tracing is off.
        call = _tracing.start_call(
            options.method,
            options.path,
            self._server,
            idempotency_key=key,
            operation=options.operation,
            url_template=options.url_template,
        )
        if call is None:
            return self._attempts(options, key, parse, None, hooked, fence)
        try:
            result = self._attempts(options, key, parse, call, hooked, fence)
        except BaseException as exc:
            call.end(exc)
            raise
        call.end(None)
        return result

    def _attempts(
        self,
        options: RequestOptions,
        key: str | None,
        parse: Callable[[httpx2.Response], R],
        call: _tracing.CallSpan | None,
        hooked: HookedCall | None,
        fence: Fence | None = None,
    ) -> R:
        method, path = options.method, options.path
        started = time.monotonic()
        url = self.base_url + path
        assert options.timeout is not None and options.max_retries is not None
        timeout = options.timeout.as_dict()
        max_retries = options.max_retries
        upload = options.upload
        headers = dict(self._headers)
        if options.extra_headers is not None:
            headers.update(options.extra_headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        if options.json_body is not None:
            headers["Content-Type"] = _JSON

        retries = 0
        replayed_401 = False
        while True:
            if hooked is not None:
                hooked.attempt += 1
                if hooked.hooks.request and (hooked.attempt > 1 or not hooked.first_ran):
                    run_hooks("request", hooked.hooks.request, hooked.info())
            token = self.tokens.get()
            headers["Authorization"] = token.authorization
            if fence is not None:
                # The journal's fence, before every attempt (retries and the 401 replay too):
                # the entry's lease and age on the journal's clock; raises rather than send.
                fence.before_attempt()
            attempt = None if call is None else call.start_attempt(headers)  # + traceparent
            if fence is not None and not fence.check():
                continue  # stalled since the lease was taken: take it again before sending
            if upload is not None:
                response, failure = self._sender.request(
                    method,
                    url,
                    headers=headers,
                    timeout=timeout,
                    params=options.params,
                    files={"file": (upload.file_name, upload.body(), "text/plain")},
                    data=dict(options.upload_fields or {}),
                    key=key,
                    retries=retries,
                    attempt=attempt,
                )
            else:
                response, failure = self._sender.request(
                    method,
                    url,
                    headers=headers,
                    timeout=timeout,
                    params=options.params,
                    content=options.json_body,
                    key=key,
                    retries=retries,
                    attempt=attempt,
                )
            if hooked is not None and response is not None and hooked.hooks.response:
                info = hooked.info(
                    status=response.status_code, request_id=response.headers.get("request-id")
                )
                run_hooks("response", hooked.hooks.response, info)
            if fence is not None and response is not None:
                fence.observe(response)
            if response is not None and response.status_code < 300:
                self._log_done(method, path, response, key, retries, started)
                if RAW.get():
                    raw = RawResponse(
                        response,
                        parse=parse,
                        idempotency_key=key,
                        retries_taken=retries,
                        elapsed=timedelta(seconds=time.monotonic() - started),
                    )
                    # The public with_raw_response wrappers give this its type.
                    return cast(R, raw)
                return parse(response)

            if (
                response is not None
                and response.status_code == 401
                and not replayed_401
                and self.tokens.refreshable
            ):
                # The token was refused: drop it (only if no one replaced it yet) and replay once.
                replayed_401 = True
                if hooked is not None and hooked.hooks.error:
                    _report_attempt(hooked, response, failure, key, retries)
                self.tokens.invalidate(token)
                if upload is not None and not upload.rewindable:
                    raise _not_rewindable(error_from_response(response, idempotency_key=key))
                continue

            # A TLS refusal (certificate refused, expired, required; server untrusted) is
            # configuration: another handshake would fail the same way.
            delay = (
                None
                if isinstance(failure, QBankTLSError)
                else retry_delay_after(
                    None if response is None else response.status_code,
                    None if response is None else response.headers,
                    retries,
                    max_retries=max_retries,
                    max_retry_after=self.max_retry_after,
                )
            )
            if delay is None or (upload is not None and not upload.rewindable):
                if failure is None:
                    assert response is not None
                    failure = error_from_response(
                        response, idempotency_key=key, retries_taken=retries
                    )
                if hooked is not None and hooked.hooks.error:
                    _report_attempt(hooked, response, failure, key, retries)
                if delay is not None:
                    raise _not_rewindable(failure)
                self._log_failed(method, path, response, key, retries, started)
                raise failure
            if hooked is not None and hooked.hooks.error:
                _report_attempt(hooked, response, failure, key, retries)
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
            sleep(delay)
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


# Operations whose 409 names a payment to follow with GET /payments/{id}.
_FOLLOW = frozenset({"createAchPayment", "createWirePayment", "createTransfer"})


def _itself(response: httpx2.Response) -> httpx2.Response:
    return response


def _report_attempt(
    hooked: HookedCall,
    response: httpx2.Response | None,
    failure: QBankError | None,
    key: str | None,
    retries: int,
) -> None:
    """Tell the ``error`` hooks of a failed attempt (another may follow)."""
    if failure is None:
        assert response is not None
        failure = error_from_response(response, idempotency_key=key, retries_taken=retries)
    info = hooked.info(
        status=None if response is None else response.status_code,
        request_id=None if response is None else response.headers.get("request-id"),
        error=failure,
    )
    run_hooks("error", hooked.hooks.error, info)


def _report_final(
    hooks: Hooks,
    hooked: HookedCall | None,
    options: RequestOptions,
    key: str | None,
    error: Exception,
) -> None:
    """Tell the ``error`` hooks of the error the call raises (``final=True``)."""
    if not hooks.error:
        return
    if hooked is None:  # the first request hook itself failed the call (a veto)
        hooked = HookedCall(
            hooks,
            method=options.method,
            path=options.path,
            operation=options.operation,
            key=key,
            reference=options.reference,
        )
    info = hooked.info(
        status=getattr(error, "status_code", None),
        request_id=getattr(error, "request_id", None),
        error=error,
        final=True,
    )
    run_hooks("error", hooks.error, info)


def _not_rewindable(error: QBankError) -> QBankError:
    error.args = (
        f"{error.args[0]} [not retried automatically: the upload stream cannot be rewound; "
        "call again with a fresh stream and the same idempotency_key]",
    )
    return error
