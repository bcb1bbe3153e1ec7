"""The sandbox's HTTP behaviour, independent of how requests arrive.

:meth:`App.exchange` is the one entry point: it routes a request through the operation table,
injected errors, authentication and the operation's handler, and yields once for any injected
latency before the work runs. The transports and the socket server drive it with
:func:`run_blocking` or their own ``anyio.sleep`` loop over :func:`step`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ._auth import SandboxClient, TokenStore
from ._bank import Bank
from ._call import Call, Pending
from ._clock import Clock
from ._faults import FaultDecision, Faults
from ._http import (
    JSON,
    PROBLEM_JSON,
    SYSTEM_ERRORS,
    Rejected,
    Request,
    Response,
    error_response,
    framed,
)
from ._idempotency import KEY_PATTERN, IdempotencyStore, StoredResponse
from ._operations import Operation, route
from ._records import Origin

__all__ = ["App", "Exchange", "Reply", "run_blocking", "step"]

T = TypeVar("T")

Execute = Callable[[Origin], "tuple[int, Any]"]
"""A transactional execution: creates the records of its ``Origin``, returns (status, body)."""


@dataclass(frozen=True)
class Reply:
    """The end of an exchange: the response, or None when the connection is dropped without
    one; ``timed_out`` when the client's read timeout ran out first."""

    response: Response | None
    timed_out: bool = False


Exchange = Generator[float, None, Reply]
"""An exchange in progress: yields seconds to sleep, returns the :class:`Reply`."""


def step(steps: Generator[float, None, T]) -> tuple[float, T | None]:
    """Run ``steps`` to its next pause: ``(seconds to sleep, None)``, or ``(0, result)``."""
    try:
        return next(steps), None
    except StopIteration as stop:
        result: T = stop.value
        return 0.0, result


def run_blocking(steps: Generator[float, None, T]) -> T:
    """Drive ``steps`` to its end, sleeping in this thread."""
    while True:
        delay, result = step(steps)
        if result is not None:
            return result
        time.sleep(delay)


class App:
    """Dispatch, authentication and the read and transactional envelopes, over one lock."""

    def __init__(
        self,
        *,
        clients: Mapping[str, SandboxClient],
        clock: Clock,
        bank: Bank,
        tokens: TokenStore,
        faults: Faults,
        lock: threading.RLock,
        base_path: str,
        date_header: bool = True,
    ) -> None:
        self.clients = clients
        self.clock = clock
        self.bank = bank
        self.tokens = tokens
        self.faults = faults
        self.lock = lock
        self.base_path = base_path.rstrip("/")
        self.date_header = date_header
        self.idempotency = IdempotencyStore()
        self.token_requests = 0

    def tick(self) -> int:
        """Run what the clock made due (ACH batches, slow wires)."""
        with self.lock:
            return self.bank.settle_due(self.clock.now())

    # the entry point -----------------------------------------------------------------------
    def exchange(self, request: Request, read_timeout: float | None = None) -> Exchange:
        """Serve one request. Injected latency is the one pause; when it reaches
        ``read_timeout``, the client times out while the work still runs in the background."""
        decision, answer = self._dispatch(request)
        if isinstance(answer, Pending):
            latency = decision.latency
            if latency and read_timeout is not None and latency >= read_timeout:
                threading.Thread(
                    target=run_blocking,
                    args=(self._execute(answer, latency),),
                    name="qbank-sandbox-late-work",
                    daemon=True,
                ).start()
                yield read_timeout
                return Reply(None, timed_out=True)
            answer = yield from self._execute(answer, latency)
        elif decision.latency:  # an answer with no work to run (POST /token): delayed too
            if read_timeout is not None and decision.latency >= read_timeout:
                yield read_timeout
                return Reply(None, timed_out=True)
            yield decision.latency
        if decision.drop:
            return Reply(None)
        return Reply(framed(request.method, answer, self.clock.now() if self.date_header else None))

    def _execute(self, pending: Pending, latency: float) -> Generator[float, None, Response]:
        if latency:
            yield latency
        return pending.run()

    def _dispatch(self, request: Request) -> tuple[FaultDecision, Response | Pending]:
        request_id = str(uuid.uuid4())
        found = None
        if request.path.startswith(self.base_path + "/"):
            found = route(request.method, request.path[len(self.base_path) :])
        if found is None or found.operation is None:
            if found is not None and found.allowed:
                allow = [("Allow", ", ".join(found.allowed))]
                refusal = error_response(
                    request_id, 405, "ERR_METHOD_001", "Method not allowed.", headers=allow
                )
            else:
                refusal = error_response(request_id, 404, "ERR_ROUTE_001", "No such endpoint.")
            return FaultDecision(), refusal
        operation = found.operation
        call = Call(request, request_id, operation.operation_id, found.params)
        decision = self.faults.decide(operation.operation_id)
        self.tick()
        if operation.operation_id == "createToken":
            with self.lock:
                self.token_requests += 1
        if decision.status is not None:
            return decision, _fault_response(request_id, decision)
        try:
            self._admit(operation, call)
            return decision, operation.handler(self, call)
        except Rejected as rejected:
            return decision, rejected.response

    def _admit(self, operation: Operation, call: Call) -> None:
        """The bearer token and its scope, then the Idempotency-Key of a transactional call."""
        if operation.scope is None:
            return
        header = call.request.headers.get("authorization", "")
        scheme, _, value = header.strip().partition(" ")
        token = None
        if scheme.lower() == "bearer" and value.strip():
            with self.lock:
                token = self.tokens.check(value.strip(), self.clock.now())
        if token is None:
            raise call.error(
                401,
                "ERR_AUTH_001",
                "The access token is missing, invalid or expired.",
                headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')],
            )
        if operation.scope not in token.scopes:
            raise call.error(
                403,
                "ERR_SCOPE_001",
                f"The access token lacks the scope {operation.scope}.",
                headers=[
                    (
                        "WWW-Authenticate",
                        f'Bearer error="insufficient_scope", scope="{operation.scope}"',
                    )
                ],
            )
        call.token = token
        if operation.transactional:
            key = call.request.headers.get("idempotency-key")
            if key is None or not KEY_PATTERN.match(key):
                issue = "is required" if key is None else "must be a lowercase canonical UUID v4"
                raise call.error(
                    400,
                    "ERR_IDEM_001",
                    "The Idempotency-Key header is missing or malformed.",
                    details=[{"field": "Idempotency-Key", "issue": issue}],
                )
            call.idempotency_key = key

    # envelopes -----------------------------------------------------------------------------
    def read(self, call: Call, body: Callable[[], Response]) -> Pending:
        """A read: ``body`` runs under the lock; a refusal it raises is the answer."""

        def run() -> Response:
            try:
                with self.lock:
                    return body()
            except Rejected as rejected:
                return rejected.response

        return Pending(run)

    def transactional(self, call: Call, fingerprint: str, execute: Execute) -> Pending:
        """Claim the call's Idempotency-Key for ``fingerprint``; answer a replay, a conflict
        (409) or a mismatch (422) at once, else hand back the execution, which stores its
        answer for replay (or releases the key if it crashes)."""
        with self.lock:
            claim = self.idempotency.claim(
                call.client_id,
                call.idempotency_key,
                call.operation_id,
                fingerprint,
                self.bank.new_uuid(),
                self.clock.now(),
            )
        entry = claim.entry
        if claim.kind == "mismatch":
            raise call.error(
                422,
                "ERR_IDEM_002",
                "This Idempotency-Key was used with another request body or operation.",
            )
        if claim.kind == "in_flight":
            conflict = {
                "type": "https://docs.qbankconnect.com/problems/idempotency-conflict",
                "title": "Idempotency Violation",
                "status": 409,
                "detail": "There is already a request with this key being processed",
                "transaction_id": entry.transaction_id,
                "instance": call.request.path,
                "request_id": call.request_id,
            }
            raise Rejected(call.respond(409, conflict, content_type=PROBLEM_JSON))
        if claim.kind == "replay":
            stored = entry.response
            assert stored is not None
            headers = [
                ("Content-Type", stored.content_type),
                ("Request-Id", call.request_id),
                ("Idempotent-Replayed", "true"),
            ]
            raise Rejected(Response(stored.status, headers, stored.body))

        def run() -> Response:
            try:
                with self.lock:
                    audit = call.audit(self.clock.now())
                    origin = Origin(entry.transaction_id, call.client_id, entry.key, audit)
                    status, payload = execute(origin)
                    response = call.respond(status, payload)
                    self.idempotency.complete(entry, StoredResponse(status, JSON, response.body))
                return response
            except Exception:
                with self.lock:
                    self.idempotency.release(entry)
                code, message = SYSTEM_ERRORS[500]
                return error_response(call.request_id, 500, code, message)

        return Pending(run)


def _fault_response(request_id: str, decision: FaultDecision) -> Response:
    assert decision.status is not None
    code, message = SYSTEM_ERRORS[decision.status]
    headers: list[tuple[str, str]] = []
    if decision.status in (429, 503) and decision.retry_after is not None:
        headers.append(("Retry-After", str(decision.retry_after)))
    return error_response(request_id, decision.status, code, message, headers=headers)
