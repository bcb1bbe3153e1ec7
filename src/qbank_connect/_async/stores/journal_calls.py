"""Calls with a ``reference`` on a client with a journal: recorded first, settled after, never
paid twice (``docs/exactly-once.md``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx2

from ..._concurrency import async_sleep
from ..._logging import logger
from ..._options import RequestOptions
from ..._response import error_from_response, parse_model
from ..._stores.journal import (
    JournalEntry,
    JournalOutcome,
    RecoveryResult,
    decide,
    json_body_record,
    outcome_from_error,
    outcome_from_response,
    upload_record,
)
from ..._stores.urls import async_call_blocking
from ...errors import (
    QBankError,
    QBankIdempotencyConflict,
    QBankReconciliationRequiredError,
    QBankStoreError,
    QBankStoreUnavailableError,
)
from .journal import AsyncJournal

__all__ = ["CONFLICT_WAIT", "call_journaled", "journal_entry", "recover_journal"]

CONFLICT_WAIT = 120.0
"""Seconds a call follows a 409 (the same key still executing at QBank) before giving up."""

_FIRST_POLL, _MAX_POLL = 0.2, 2.0


class Send(Protocol):
    """Sends the call (with its automatic retries) under ``key``: its 2xx answer, or raises."""

    async def __call__(self, key: str) -> httpx2.Response: ...


async def journal_entry(options: RequestOptions, key: str) -> JournalEntry:
    """The entry to record for a call with a reference, before its first attempt."""
    assert options.reference is not None
    if options.upload is not None:
        body, digest = await async_call_blocking(
            upload_record, options.upload, options.upload_fields or {}
        )
    else:
        body, digest = json_body_record(options.json_body or b"{}")
    return JournalEntry(
        reference=options.reference,
        operation=options.operation,
        idempotency_key=key,
        body_digest=digest,
        body=body,
        created_at=datetime.now(timezone.utc),
    )


async def call_journaled(
    journal: AsyncJournal,
    attempted: JournalEntry,
    send: Send,
    *,
    conflict_wait: float = CONFLICT_WAIT,
) -> httpx2.Response:
    """Record ``attempted`` (unless its reference is recorded), then send it, or return or raise
    the recorded outcome without sending; record the final answer. Returns the 2xx answer."""
    try:
        stored = await journal.claim(attempted)
    except QBankError:
        raise
    except Exception as exc:  # a journal object of the caller's that failed some other way
        raise QBankStoreUnavailableError(
            f"the journal could not record {attempted.operation} reference "
            f"{attempted.reference!r} ({type(exc).__name__}: {exc}); nothing was sent"
        ) from exc
    decision = decide(stored, attempted)
    key = stored.idempotency_key
    if decision == "replay":
        assert stored.outcome is not None
        return _replay(stored, stored.outcome)
    if decision == "reconcile":
        raise _reconcile_error(stored)

    deadline: float | None = None
    poll = _FIRST_POLL
    while True:
        try:
            response = await send(key)
        except QBankIdempotencyConflict:
            # This key is executing at QBank right now (another thread, task or process, or an
            # attempt that timed out): follow it to its answer, which the same key then replays.
            now = time.monotonic()
            deadline = now + conflict_wait if deadline is None else deadline
            if now >= deadline:
                raise
            await async_sleep(min(poll, deadline - now))
            poll = min(poll * 1.5, _MAX_POLL)
            continue
        except QBankError as error:
            outcome = outcome_from_error(error)
            if outcome is not None:
                await _settle(journal, stored, outcome)
            raise
        await _settle(journal, stored, outcome_from_response(response))
        return response


async def _settle(journal: AsyncJournal, entry: JournalEntry, outcome: JournalOutcome) -> None:
    try:
        await journal.settle(entry, outcome)
    except Exception as exc:
        # QBank answered; only the record is missing. The entry stays pending and is sent again
        # with its key (recover(), or a later call): QBank replays this same answer.
        logger.warning(
            "journal: could not record the outcome of %s reference %r (idempotency_key=%s): "
            "%s: %s; it stays pending",
            entry.operation,
            entry.reference,
            entry.idempotency_key,
            type(exc).__name__,
            exc,
        )


def _replay(entry: JournalEntry, outcome: JournalOutcome) -> httpx2.Response:
    response = outcome.http_response()
    if not outcome.succeeded:
        raise error_from_response(response, idempotency_key=entry.idempotency_key)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "journal: %s reference %r answered from the journal (recorded %s, idempotency_key=%s)",
            entry.operation,
            entry.reference,
            outcome.recorded_at.isoformat(),
            entry.idempotency_key,
        )
    return response


def _reconcile_error(entry: JournalEntry) -> QBankReconciliationRequiredError:
    return QBankReconciliationRequiredError(
        f"{entry.operation} reference {entry.reference!r} has no recorded outcome and its "
        f"idempotency_key {entry.idempotency_key} is from {entry.created_at:%Y-%m-%d %H:%M} UTC, "
        "past QBank's 24-hour retention: not sent again (it could pay twice); reconcile it "
        f"by hand (body digest {entry.body_digest})",
        reference=entry.reference,
        idempotency_key=entry.idempotency_key,
        body_digest=entry.body_digest,
    )


class SendEntry(Protocol):
    """Sends a journaled entry again under ``key``: its 2xx answer, or raises."""

    async def __call__(self, entry: JournalEntry, key: str) -> httpx2.Response: ...


async def recover_journal(
    journal: AsyncJournal,
    send: SendEntry,
    models: Callable[[str], type[Any] | None],
    *,
    conflict_wait: float = CONFLICT_WAIT,
) -> list[RecoveryResult]:
    """Settle every pending entry: send it again with its key, or report it; see
    :class:`~qbank_connect.journal.RecoveryResult`."""
    results: list[RecoveryResult] = []
    for entry in await journal.pending():
        model = models(entry.operation)
        if entry.is_upload or model is None:
            results.append(RecoveryResult("needs_file", entry))
            continue

        async def send_entry(key: str, entry: JournalEntry = entry) -> httpx2.Response:
            return await send(entry, key)

        try:
            response = await call_journaled(journal, entry, send_entry, conflict_wait=conflict_wait)
            result = parse_model(model, response, idempotency_key=entry.idempotency_key)
        except QBankReconciliationRequiredError as error:
            results.append(RecoveryResult("reconcile", entry, error=error))
        except QBankStoreError:
            raise  # the journal itself failed: stop, nothing more can be recorded
        except QBankError as error:
            final = outcome_from_error(error) is not None
            results.append(RecoveryResult("failed" if final else "unsettled", entry, error=error))
        else:
            results.append(RecoveryResult("succeeded", entry, result=result))
    return results
