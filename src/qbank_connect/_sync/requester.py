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
from .._idempotency import idempotency_key_for, new_idempotency_key
from .._journal import RECOVERABLE
from .._logging import logger
from .._options import RequestOptions
from .._response import RAW, RawResponse, error_from_response, parse_model
from .._retry import retry_delay_after
from ..errors import QBankError
from .auth import Tokens
from .http import HTTP
from .pagination import Page

if TYPE_CHECKING:
    from .._journal import JournalEntry
    from ..models.pages import ListEnvelope
    from .journal import Journal

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
        self.journal: Journal | None = None
        """The client's payment journal (``journal=``): calls with a ``reference`` go through it."""

    def request(self, options: RequestOptions, cast_to: type[M]) -> M:
        """Send the call and parse the answer into ``cast_to``.

        Inside ``with_raw_response`` the answer is a :class:`RawResponse` instead (the public
        wrappers type it so)."""
        key = self._key(options)
        if options.reference is not None and self.journal is not None:
            return self._journaled(options, cast_to, key)
        return self._send(options, key, lambda response: parse_model(cast_to, response, key))

    def _journaled(self, options: RequestOptions, cast_to: type[M], key: str | None) -> M:
        """A call with a reference on a client with a journal: recorded before its first
        attempt, answered from the journal once settled (``docs/exactly-once.md``)."""
        from .journaling import call_journaled, journal_entry

        assert self.journal is not None and key is not None
        started = time.monotonic()
        raw = RAW.get()
        entry = journal_entry(options, key)

        def send(key: str) -> httpx2.Response:
            token = RAW.set(False)  # the journal needs the answer itself, raw or not
            try:
                return self._send(options._replace(idempotency_key=key), key, _itself)
            finally:
                RAW.reset(token)

        response = call_journaled(self.journal, entry, send)

        def parse(response: httpx2.Response) -> M:
            return parse_model(cast_to, response, key)

        if raw:
            answer = RawResponse(
                response,
                parse=parse,
                idempotency_key=key,
                retries_taken=0,
                elapsed=timedelta(seconds=time.monotonic() - started),
            )
            return cast(M, answer)
        return parse(response)

    def resend(
        self, entry: JournalEntry, key: str, *, timeout: httpx2.Timeout, max_retries: int
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
        )
        token = RAW.set(False)
        try:
            return self._send(options, key, _itself)
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

        return self._send(options, None, parse)

    # -- the pipeline ----------------------------------------------------------------------

    def _key(self, options: RequestOptions) -> str | None:
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
            return self._attempts(options, key, parse, None)
        try:
            result = self._attempts(options, key, parse, call)
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
    ) -> R:
        method, path = options.method, options.path
        started = time.monotonic()
        url = self.base_url + path
        assert options.timeout is not None and options.max_retries is not None
        timeout = options.timeout.as_dict()
        max_retries = options.max_retries
        upload = options.upload
        headers = dict(self._headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        if options.json_body is not None:
            headers["Content-Type"] = _JSON

        retries = 0
        replayed_401 = False
        while True:
            token = self.tokens.get()
            headers["Authorization"] = token.authorization
            attempt = None if call is None else call.start_attempt(headers)  # + traceparent
            if upload is not None:
                response, failure = self._sender.request(
                    method,
                    url,
                    headers=headers,
                    timeout=timeout,
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
                self.tokens.invalidate(token)
                if upload is not None and not upload.rewindable:
                    raise _not_rewindable(error_from_response(response, idempotency_key=key))
                continue

            delay = retry_delay_after(
                None if response is None else response.status_code,
                None if response is None else response.headers,
                retries,
                max_retries=max_retries,
                max_retry_after=self.max_retry_after,
            )
            if delay is None or (upload is not None and not upload.rewindable):
                if failure is None:
                    assert response is not None
                    failure = error_from_response(
                        response, idempotency_key=key, retries_taken=retries
                    )
                if delay is not None:
                    raise _not_rewindable(failure)
                self._log_failed(method, path, response, key, retries, started)
                raise failure
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


def _itself(response: httpx2.Response) -> httpx2.Response:
    return response


def _not_rewindable(error: QBankError) -> QBankError:
    error.args = (
        f"{error.args[0]} [not retried automatically: the upload stream cannot be rewound; "
        "call again with a fresh stream and the same idempotency_key]",
    )
    return error
