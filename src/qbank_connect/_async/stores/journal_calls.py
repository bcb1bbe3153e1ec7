"""Calls with a ``reference`` on a client with a journal: recorded first, fenced before every
attempt, settled after, never paid twice (``docs/exactly-once.md``)."""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

import httpx2

from ..._concurrency import async_map_bounded, async_sleep
from ..._logging import logger
from ..._options import RequestOptions
from ..._response import error_from_response, parse_model
from ..._stores.journal import (
    CLOCK_SKEW,
    CONFLICT_WAIT,
    LEASE,
    RESEND_WINDOW,
    ClockSkew,
    EntryState,
    JournalEntry,
    JournalOutcome,
    JournalScope,
    RecoveryResult,
    decide,
    generation_key,
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

__all__ = [
    "CONFLICT_WAIT",
    "AsyncClientJournal",
    "AsyncFence",
    "call_journaled",
    "journal_entry",
    "recover_journal",
]

_FIRST_POLL, _MAX_POLL = 0.05, 1.0
_LOCAL_LEASE = LEASE.total_seconds() * 0.8  # the holder stops trusting its lease before the store


def _boottime() -> float:
    """Seconds on a clock that keeps counting while the host is suspended (a VM paused, a
    laptop lid closed), where there is one."""
    clock = getattr(time, "CLOCK_BOOTTIME", None)
    if clock is not None:
        return time.clock_gettime(clock)
    return time.monotonic()


class Send(Protocol):
    """Sends the call (with its automatic retries) under ``key``, the fence checked before each
    attempt: its 2xx answer, or raises."""

    async def __call__(self, key: str, fence: AsyncFence) -> httpx2.Response: ...


class Follow(Protocol):
    """Polls ``GET /payments/{transaction_id}`` until it is there or ``wait`` seconds pass:
    the answer, or ``None``."""

    async def __call__(self, transaction_id: str, wait: float) -> httpx2.Response | None: ...


class Fetch(Protocol):
    """Reads ``GET /payments/{payment_id}``: the answer, or raises."""

    async def __call__(self, payment_id: str) -> httpx2.Response: ...


class _Settled(Exception):
    """The entry was settled (or resolved) by someone else while this call waited."""

    def __init__(self, entry: JournalEntry) -> None:
        self.entry = entry


class _Superseded(Exception):
    """An operator resolved the entry ``not_sent``: its old key is never sent again."""


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
        created_at=datetime.now(timezone.utc),  # the journal's clock replaces it
    )


class AsyncFence:
    """One sender's hold on one entry: taken on the journal's clock before every attempt.

    :meth:`before_attempt` leases the entry (or waits up to ``conflict_wait`` for another live
    holder, or raises if it was settled, marked ``reconcile`` or resolved meanwhile, or has
    grown too old); :meth:`check`, right before the request's bytes are written, refuses to
    send on a lease this process can no longer be sure of (its own clock says it may have
    lapsed: a stall, a suspended process)."""

    def __init__(
        self,
        journal: AsyncJournal,
        scope: JournalScope,
        entry: JournalEntry,
        *,
        conflict_wait: float,
        skew: ClockSkew = CLOCK_SKEW,
    ) -> None:
        self.journal = journal
        self.scope = scope
        self.entry = entry
        self.conflict_wait = conflict_wait
        self.skew = skew
        self.owner = uuid.uuid4().hex
        self.held = False
        self._valid_until = -math.inf

    async def before_attempt(self) -> None:
        deadline: float | None = None
        poll = _FIRST_POLL
        while True:
            started = _boottime()
            row = await self.journal.acquire(
                self.scope,
                self.entry,
                self.owner,
                lease=LEASE,
                window=self.skew.window(RESEND_WINDOW),
            )
            if row.generation != self.entry.generation or row.state is EntryState.NOT_SENT:
                raise _Superseded
            if row.state is EntryState.PENDING and row.lease_owner == self.owner:
                self.held = True
                self._valid_until = started + _LOCAL_LEASE
                return
            if row.state in (EntryState.SUCCEEDED, EntryState.FAILED, EntryState.RESOLVED):
                raise _Settled(row)
            if row.state is EntryState.RECONCILE:
                raise reconcile_error(row)
            if not row.held_by_other(self.owner):
                continue  # the lease ran out between the two statements: take it now
            now = time.monotonic()
            deadline = now + self.conflict_wait if deadline is None else deadline
            if now >= deadline:
                raise lease_conflict(row, self.conflict_wait)
            await async_sleep(min(poll, deadline - now))
            poll = min(poll * 1.5, _MAX_POLL)

    def check(self) -> bool:
        """True if the lease is still surely ours (called right before the bytes go out)."""
        return _boottime() < self._valid_until

    def observe(self, response: httpx2.Response) -> None:
        """Every answer's ``Date``: the clock skew against QBank shrinks the resend window."""
        self.skew.observe(response.headers.get("date"))

    async def release(self) -> None:
        if self.held:
            self.held = False
            try:
                await self.journal.release(self.scope, self.entry, self.owner)
            except Exception as exc:  # the lease simply runs out
                logger.warning(
                    "journal: could not release a lease: %s: %s", type(exc).__name__, exc
                )


def lease_conflict(entry: JournalEntry, waited: float) -> QBankIdempotencyConflict:
    """Another live sender held ``entry`` for all of ``conflict_wait``."""
    return QBankIdempotencyConflict.in_flight(
        f"{entry.operation} reference {entry.reference!r} is being sent by another sender (it "
        f"holds the journal's lease) and was not settled within conflict_wait={waited:g}s; "
        "nothing was sent by this call",
        idempotency_key=entry.idempotency_key,
        transaction_id=entry.transaction_id,
    )


async def _claim(
    journal: AsyncJournal, scope: JournalScope, attempted: JournalEntry
) -> JournalEntry:
    try:
        stored = await journal.claim(scope, attempted)
        for _ in range(3):
            if stored.state is not EntryState.NOT_SENT:
                return stored
            # An operator resolved it not_sent: pay it afresh, under the next generation's key.
            generation = stored.generation + 1
            fresh = JournalEntry(
                reference=attempted.reference,
                operation=attempted.operation,
                idempotency_key=generation_key(
                    attempted.operation, attempted.reference, generation
                ),
                body_digest=attempted.body_digest,
                body=attempted.body,
                created_at=attempted.created_at,
                generation=generation,
            )
            stored = await journal.renew(scope, stored, fresh)
        return stored
    except QBankError:
        raise
    except Exception as exc:  # a journal object of the caller's that failed some other way
        raise QBankStoreUnavailableError(
            f"the journal could not record {attempted.operation} reference "
            f"{attempted.reference!r} ({type(exc).__name__}: {exc}); nothing was sent"
        ) from exc


async def call_journaled(
    journal: AsyncJournal,
    scope: JournalScope,
    attempted: JournalEntry,
    send: Send,
    *,
    follow: Follow | None,
    fetch: Fetch,
    conflict_wait: float = CONFLICT_WAIT,
    skew: ClockSkew = CLOCK_SKEW,
) -> httpx2.Response:
    """Record ``attempted`` (unless its reference is recorded), then send it under the fence,
    or return or raise the recorded outcome without sending; record the final answer.

    A 409 is followed with ``follow`` (``GET /payments/{transaction_id}``) for at most
    ``conflict_wait`` seconds, then one more guarded POST; ``fetch`` reads a payment an
    operator resolved. Returns the 2xx answer."""
    for _ in range(2):
        stored = await _claim(journal, scope, attempted)
        try:
            return await _journaled(
                journal, scope, stored, attempted, send, follow, fetch, conflict_wait, skew
            )
        except _Superseded:
            continue  # resolved not_sent while we waited: claim the next generation
    raise QBankStoreUnavailableError(
        f"journal: {attempted.operation} reference {attempted.reference!r} keeps being "
        "resolved while this call runs; nothing was sent"
    )


async def _journaled(
    journal: AsyncJournal,
    scope: JournalScope,
    stored: JournalEntry,
    attempted: JournalEntry,
    send: Send,
    follow: Follow | None,
    fetch: Fetch,
    conflict_wait: float,
    skew: ClockSkew,
) -> httpx2.Response:
    decision = decide(stored, attempted, window=skew.window(RESEND_WINDOW))
    if decision == "replay":
        assert stored.outcome is not None
        return _replay(stored, stored.outcome)
    if decision == "resolved":
        assert stored.payment_id is not None
        return await fetch(stored.payment_id)
    if decision == "reconcile":
        raise reconcile_error(stored)

    fence = AsyncFence(journal, scope, stored, conflict_wait=conflict_wait, skew=skew)
    key = stored.idempotency_key
    try:
        try:
            response = await send(key, fence)
        except QBankIdempotencyConflict as conflict:
            # The key is executing at QBank right now: follow the named transaction (a GET),
            # never re-POST in a loop; then one last guarded POST gets the stored answer.
            if conflict.transaction_id is None or conflict.status_code is None:
                raise  # our own lease wait ran out: nothing to follow
            await _note(journal, scope, stored, conflict.transaction_id)
            found = None
            if follow is not None and conflict_wait > 0:
                found = await follow(conflict.transaction_id, conflict_wait)
            if found is not None:
                await _settle(journal, scope, stored, _followed(found))
                return found
            response = await send(key, fence)
    except _Settled as settled:
        entry = settled.entry
        if entry.outcome is not None:
            return _replay(entry, entry.outcome)
        assert entry.payment_id is not None
        return await fetch(entry.payment_id)
    except QBankError as error:
        outcome = outcome_from_error(error)
        if outcome is not None:
            await _settle(journal, scope, stored, outcome)
        raise
    finally:
        await fence.release()
    await _settle(journal, scope, stored, outcome_from_response(response))
    return response


def _followed(response: httpx2.Response) -> JournalOutcome:
    # The payment read after a 409: the first execution's result, recorded as its answer.
    return JournalOutcome(
        status=201,
        body=response.content.decode("utf-8"),
        executed=True,
        request_id=response.headers.get("request-id"),
    )


async def _note(
    journal: AsyncJournal, scope: JournalScope, entry: JournalEntry, transaction_id: str
) -> None:
    try:
        await journal.note_transaction(scope, entry, transaction_id)
    except Exception as exc:
        logger.warning("journal: could not note a transaction id: %s: %s", type(exc).__name__, exc)


async def _settle(
    journal: AsyncJournal, scope: JournalScope, entry: JournalEntry, outcome: JournalOutcome
) -> None:
    try:
        await journal.settle(scope, entry, outcome)
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


def reconcile_error(entry: JournalEntry) -> QBankReconciliationRequiredError:
    """Nothing is sent for ``entry``: its key may be past QBank's memory."""
    return QBankReconciliationRequiredError(
        f"{entry.operation} reference {entry.reference!r} has no recorded outcome and its "
        f"idempotency_key {entry.idempotency_key} is from {entry.created_at:%Y-%m-%d %H:%M} UTC "
        "(journal clock), too close to or past QBank's 24-hour retention: not sent (it could "
        "pay twice). Look it up, then close it: journal.resolve(operation, reference, "
        f"payment_id=...) or resolve(..., not_sent=True) (body digest {entry.body_digest})",
        reference=entry.reference,
        idempotency_key=entry.idempotency_key,
        body_digest=entry.body_digest,
    )


class SendEntry(Protocol):
    """Sends a journaled entry again under ``key``, the fence checked before each attempt."""

    async def __call__(
        self, entry: JournalEntry, key: str, fence: AsyncFence
    ) -> httpx2.Response: ...


async def recover_journal(
    journal: AsyncJournal,
    scope: JournalScope,
    send: SendEntry,
    models: Callable[[str], type[Any] | None],
    *,
    follow: Follow | None,
    fetch: Fetch,
    conflict_wait: float = CONFLICT_WAIT,
    concurrency: int = 8,
    deadline: float | None = None,
    skew: ClockSkew = CLOCK_SKEW,
) -> list[RecoveryResult]:
    """Settle every open entry of ``scope``, ``concurrency`` at a time, within ``deadline``
    seconds overall; see :class:`~qbank_connect.journal.RecoveryResult`."""
    entries = await journal.pending(scope)
    results: list[RecoveryResult] = [RecoveryResult("unsettled", entry) for entry in entries]
    ends = None if deadline is None else time.monotonic() + deadline

    async def one(index: int) -> None:
        # Past the deadline nothing new starts (reported unsettled); one already started ends
        # within its conflict wait (cut to what is left) plus one request.
        left = None if ends is None else ends - time.monotonic()
        if left is not None and left <= 0:
            return
        wait = conflict_wait if left is None else min(conflict_wait, left)
        results[index] = await _recover_one(
            journal, scope, entries[index], send, models, follow, fetch, wait, skew
        )

    await async_map_bounded(one, len(entries), concurrency)
    return results


async def _recover_one(
    journal: AsyncJournal,
    scope: JournalScope,
    entry: JournalEntry,
    send: SendEntry,
    models: Callable[[str], type[Any] | None],
    follow: Follow | None,
    fetch: Fetch,
    conflict_wait: float,
    skew: ClockSkew,
) -> RecoveryResult:
    # Age first, on the journal's clock: an entry too old is marked reconcile before anything.
    probe = AsyncFence(journal, scope, entry, conflict_wait=0.0, skew=skew)
    try:
        await probe.before_attempt()
    except QBankReconciliationRequiredError as error:
        return RecoveryResult("reconcile", entry, error=error)
    except QBankIdempotencyConflict as error:
        return RecoveryResult("held", entry, error=error)
    except (_Settled, _Superseded):
        return RecoveryResult("unsettled", entry)
    finally:
        await probe.release()
    model = models(entry.operation)
    if entry.is_upload or model is None:
        return RecoveryResult("needs_file", entry)

    async def send_entry(key: str, fence: AsyncFence) -> httpx2.Response:
        return await send(entry, key, fence)

    try:
        response = await call_journaled(
            journal,
            scope,
            entry,
            send_entry,
            follow=follow,
            fetch=fetch,
            conflict_wait=conflict_wait,
            skew=skew,
        )
        result = parse_model(model, response, idempotency_key=entry.idempotency_key)
    except QBankReconciliationRequiredError as error:
        return RecoveryResult("reconcile", entry, error=error)
    except QBankStoreError:
        raise  # the journal itself failed: stop, nothing more can be recorded
    except QBankIdempotencyConflict as error:
        if error.status_code is None:
            return RecoveryResult("held", entry, error=error)
        return RecoveryResult("unsettled", entry, error=error)
    except QBankError as error:
        final = outcome_from_error(error) is not None
        return RecoveryResult("failed" if final else "unsettled", entry, error=error)
    return RecoveryResult("succeeded", entry, result=result)


class AsyncClientJournal:
    """``client.journal``: the journal as this client sees it (its bank and client id).

    Example::

        for entry in await client.journal.pending():
            print(entry.state, entry.reference, entry.idempotency_key)
        await client.journal.resolve("createAchPayment", "invoice:INV-1042", payment_id="pay_1")
    """

    def __init__(self, backend: AsyncJournal, scope: JournalScope) -> None:
        self.backend = backend
        """The journal object itself (shared by every client and scope that use it)."""
        self.scope = scope

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.backend!r} bank={self.scope.bank!r} client_id={self.scope.client_id!r}>"

    async def pending(self) -> list[JournalEntry]:
        """The entries without a final answer (``pending`` and ``reconcile``), oldest first.

        Example::

            for entry in await client.journal.pending():
                print(entry.state, entry.reference, entry.created_at)
        """
        return await self.backend.pending(self.scope)

    async def get(self, operation: str, reference: str) -> JournalEntry | None:
        """The entry for ``(operation, reference)``, if there is one.

        Example::

            entry = await client.journal.get("createAchPayment", "invoice:INV-1042")
        """
        return await self.backend.get(self.scope, operation, reference)

    async def claim(self, entry: JournalEntry) -> JournalEntry:
        """Record ``entry`` unless its reference is recorded (what a call does first)."""
        return await self.backend.claim(self.scope, entry)

    async def settle(self, entry: JournalEntry, outcome: JournalOutcome) -> None:
        """Record ``entry``'s final answer (what a call does last)."""
        await self.backend.settle(self.scope, entry, outcome)

    async def resolve(
        self,
        operation: str,
        reference: str,
        *,
        payment_id: str | None = None,
        not_sent: bool = False,
        resolved_by: str | None = None,
    ) -> JournalEntry:
        """Close a ``reconcile`` entry after looking it up at QBank, recording who and when.

        ``payment_id=``: the payment was made; later calls with this reference return it
        (read with ``GET /payments/{id}``). ``not_sent=True``: it never reached QBank; the
        next call pays it afresh under a new key, and no sender still holding the old entry
        ever sends it. A pending entry past the resend window is marked ``reconcile`` first;
        any other state raises ``ValueError``.

        Example::

            await client.journal.resolve("createAchPayment", "invoice:INV-1042",
                                         payment_id="pay_123")
        """
        if (payment_id is None) == (not not_sent):
            raise ValueError("resolve: give payment_id=... or not_sent=True (one of them)")
        if payment_id is not None and (not isinstance(payment_id, str) or not payment_id):
            raise ValueError("payment_id must be a non-empty string")
        who = resolved_by or _who()
        entry = await self.get(operation, reference)
        if entry is None:
            raise ValueError(f"resolve: no journal entry for {operation} reference {reference!r}")
        if entry.state is EntryState.PENDING:
            probe = AsyncFence(self.backend, self.scope, entry, conflict_wait=0.0)
            try:
                await probe.before_attempt()
            except (QBankReconciliationRequiredError, QBankIdempotencyConflict):
                pass
            finally:
                await probe.release()
        closed = await self.backend.resolve(
            self.scope, operation, reference, payment_id=payment_id, resolved_by=who
        )
        after = await self.get(operation, reference)
        if not closed or after is None:
            state = "gone" if after is None else after.state.value
            raise ValueError(
                f"resolve: {operation} reference {reference!r} is {state}, not reconcile: only "
                "an entry the SDK stopped sending (reconcile) can be resolved by hand"
            )
        return after

    async def prune(self, *, settled_before: datetime) -> int:
        """Delete entries settled (or resolved) before ``settled_before``; never an open one.

        A reference pruned and then paid again is a new payment: keep entries as long as
        your callers may repeat a reference. Returns how many were deleted.

        Example::

            await client.journal.prune(settled_before=datetime.now(timezone.utc) - timedelta(days=90))
        """
        if not isinstance(settled_before, datetime):
            raise ValueError("settled_before must be a datetime")
        if settled_before.tzinfo is None:
            settled_before = settled_before.replace(tzinfo=timezone.utc)
        return await self.backend.prune(self.scope, settled_before)

    async def aclose(self) -> None:
        """Close the journal's connections."""
        await self.backend.aclose()


def _who() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
