"""The sandbox's HTTP behaviour, independent of how requests arrive.

``App.begin(request)`` does everything that happens before execution (routing, injected
errors, authentication, validation, the idempotency claim) and returns either a final
``Response`` or a ``Pending`` execution; the transports spend any injected latency between
the two and call ``App.finish``. ``App.handle`` does both in one blocking call.
"""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

from ._auth import (
    OPERATION_SCOPES,
    SandboxClient,
    Token,
    TokenStore,
    parse_basic_credentials,
)
from ._bank import Bank, InsufficientFunds
from ._clock import Clock, parse_date
from ._faults import FaultDecision, Faults
from ._idempotency import (
    KEY_PATTERN,
    IdempotencyEntry,
    IdempotencyStore,
    StoredResponse,
    json_fingerprint,
    multipart_fingerprint,
)
from ._multipart import MultipartError, boundary_of, parse_multipart
from ._nacha import NachaEntry, NachaError, parse_ach_file
from ._outbox import Outbox
from ._pagination import CursorError, paginate
from ._records import Audit, Payment, money
from ._seed import ACCOUNT_OPERATING
from ._validation import (
    Detail,
    validate_ach_payment,
    validate_check_issue,
    validate_limit,
    validate_transfer,
    validate_wire_payment,
)

__all__ = ["App", "Outcome", "Pending", "Request", "Response"]

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

_ERROR_CODES = {
    500: ("ERR_SYS_000", "An internal error occurred. Retry later."),
    502: ("ERR_SYS_002", "Bad gateway. Retry later."),
    503: ("ERR_SYS_001", "The service is under maintenance. Retry after the indicated delay."),
    504: ("ERR_SYS_004", "Gateway timeout. Retry later."),
    429: ("ERR_RATE_001", "Too many requests. Retry after the indicated delay."),
}

_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), operation)
    for method, pattern, operation in (
        ("POST", r"/token", "createToken"),
        ("GET", r"/accounts", "listAccounts"),
        ("GET", r"/accounts/(?P<id>[^/]+)", "getAccount"),
        ("GET", r"/balances/(?P<id>[^/]+)", "getBalance"),
        ("GET", r"/transactions", "listTransactions"),
        ("GET", r"/payments", "listPayments"),
        ("POST", r"/payments/ach", "createAchPayment"),
        ("POST", r"/payments/ach/files", "uploadAchFile"),
        ("POST", r"/payments/wire", "createWirePayment"),
        ("GET", r"/payments/(?P<id>[^/]+)", "getPayment"),
        ("POST", r"/transfers", "createTransfer"),
        ("POST", r"/positivepay/issues", "createCheckIssue"),
        ("GET", r"/positivepay/exceptions", "listCheckExceptions"),
    )
)


@dataclass(frozen=True)
class Request:
    """A request as the sandbox sees it; ``headers`` keys are lowercase."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query: str | tuple[tuple[str, str], ...],
        headers: Mapping[str, str] | list[tuple[str, str]],
        body: bytes,
    ) -> Request:
        items = headers.items() if isinstance(headers, Mapping) else headers
        merged: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        if isinstance(query, str):
            query = tuple(parse_qsl(query, keep_blank_values=True))
        return cls(method.upper(), path, query, merged, body)

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Pending:
    """An execution waiting for its (possibly injected) latency."""

    run: Callable[[], Response]


@dataclass
class Outcome:
    """What :meth:`App.begin` decided for one request."""

    operation: str | None
    response: Response | None = None
    pending: Pending | None = None
    latency: float = 0.0
    drop: bool = False


@dataclass
class _Ctx:
    request: Request
    request_id: str
    operation: str
    path_id: str | None = None
    token: Token | None = None

    @property
    def client_id(self) -> str:
        assert self.token is not None
        return self.token.client_id


class _Rejected(Exception):
    """Raised inside handlers to answer at once."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class App:
    """Routing, authentication, idempotency and handlers over one lock-protected state."""

    def __init__(
        self,
        *,
        clients: Mapping[str, SandboxClient],
        clock: Clock,
        bank: Bank,
        tokens: TokenStore,
        outbox: Outbox,
        faults: Faults,
        lock: threading.RLock,
        base_path: str,
    ) -> None:
        self.clients = clients
        self.clock = clock
        self.bank = bank
        self.tokens = tokens
        self.outbox = outbox
        self.faults = faults
        self.lock = lock
        self.base_path = base_path.rstrip("/")
        self.idempotency = IdempotencyStore()
        self.token_requests = 0
        self._handlers: dict[str, Callable[[_Ctx], Pending]] = {
            "listAccounts": self._list_accounts,
            "getAccount": self._get_account,
            "getBalance": self._get_balance,
            "listTransactions": self._list_transactions,
            "listPayments": self._list_payments,
            "getPayment": self._get_payment,
            "listCheckExceptions": self._list_check_exceptions,
            "createAchPayment": self._create_ach_payment,
            "uploadAchFile": self._upload_ach_file,
            "createWirePayment": self._create_wire_payment,
            "createTransfer": self._create_transfer,
            "createCheckIssue": self._create_check_issue,
        }

    # plumbing ----------------------------------------------------------------------------
    def _response(
        self,
        ctx_or_id: _Ctx | str,
        status: int,
        payload: Any,
        *,
        content_type: str = JSON,
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        request_id = ctx_or_id if isinstance(ctx_or_id, str) else ctx_or_id.request_id
        return Response(
            status,
            [("Content-Type", content_type), ("Request-Id", request_id), *(headers or [])],
            _dumps(payload),
        )

    def _error(
        self,
        ctx_or_id: _Ctx | str,
        status: int,
        code: str,
        message: str,
        *,
        details: list[Detail] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        request_id = ctx_or_id if isinstance(ctx_or_id, str) else ctx_or_id.request_id
        body: dict[str, Any] = {"message": message, "error_code": code, "request_id": request_id}
        if details:
            body["details"] = details
        return self._response(request_id, status, body, headers=headers)

    def _invalid(self, ctx: _Ctx, details: list[Detail]) -> _Rejected:
        return _Rejected(
            self._error(ctx, 400, "ERR_VAL_001", "The request is invalid.", details=details)
        )

    def _audit(self, ctx: _Ctx, now: datetime) -> Audit:
        return Audit(now, ctx.client_id, ctx.request_id)

    def tick(self) -> int:
        """Run what the clock made due (ACH batches, slow wires)."""
        with self.lock:
            return self.bank.settle_due(self.clock.now())

    def operation_for(self, method: str, path: str) -> str | None:
        relative = self._relative(path)
        if relative is None:
            return None
        for route_method, pattern, operation in _ROUTES:
            if route_method == method.upper() and pattern.fullmatch(relative):
                return operation
        return None

    def _relative(self, path: str) -> str | None:
        if not path.startswith(self.base_path + "/"):
            return None
        return path[len(self.base_path) :]

    # the pipeline ------------------------------------------------------------------------
    def handle(self, request: Request) -> Response | None:
        """Serve one request, blocking through any injected latency; None means "drop"."""
        outcome = self.begin(request)
        response = outcome.response
        if outcome.pending is not None:
            if outcome.latency:
                time.sleep(outcome.latency)
            response = self.finish(outcome.pending)
        return None if outcome.drop else response

    def finish(self, pending: Pending) -> Response:
        return pending.run()

    def begin(self, request: Request) -> Outcome:
        request_id = str(uuid.uuid4())
        relative = self._relative(request.path)
        matched: tuple[str, str | None] | None = None
        allowed: list[str] = []
        if relative is not None:
            for method, pattern, operation in _ROUTES:
                found = pattern.fullmatch(relative)
                if found is None:
                    continue
                if method == request.method:
                    matched = (operation, found.groupdict().get("id"))
                    break
                allowed.append(method)
        if matched is None:
            if allowed:
                response = self._error(
                    request_id,
                    405,
                    "ERR_METHOD_001",
                    "Method not allowed.",
                    headers=[("Allow", ", ".join(sorted(set(allowed))))],
                )
            else:
                response = self._error(request_id, 404, "ERR_ROUTE_001", "No such endpoint.")
            return Outcome(None, response=response)
        operation, path_id = matched
        ctx = _Ctx(request, request_id, operation, path_id)
        decision = self.faults.decide(operation)
        self.tick()
        if operation == "createToken":
            with self.lock:
                self.token_requests += 1
        if decision.status is not None:
            return Outcome(operation, response=self._fault_response(ctx, decision))
        try:
            if operation == "createToken":
                return Outcome(operation, response=self._token(ctx), drop=decision.drop)
            self._authenticate(ctx)
            result = self._handlers[operation](ctx)
        except _Rejected as rejected:
            return Outcome(operation, response=rejected.response, drop=decision.drop)
        assert isinstance(result, Pending)
        return Outcome(operation, pending=result, latency=decision.latency, drop=decision.drop)

    def _fault_response(self, ctx: _Ctx, decision: FaultDecision) -> Response:
        assert decision.status is not None
        code, message = _ERROR_CODES[decision.status]
        headers: list[tuple[str, str]] = []
        if decision.status in (429, 503) and decision.retry_after is not None:
            headers.append(("Retry-After", str(decision.retry_after)))
        return self._error(ctx, decision.status, code, message, headers=headers)

    # OAuth -------------------------------------------------------------------------------
    def _oauth_error(
        self, ctx: _Ctx, status: int, error: str, description: str, www: str | None = None
    ) -> Response:
        headers = [("Cache-Control", "no-store")]
        if www:
            headers.append(("WWW-Authenticate", www))
        payload = {"error": error, "error_description": description, "request_id": ctx.request_id}
        return self._response(ctx, status, payload, headers=headers)

    def _token(self, ctx: _Ctx) -> Response:
        request = ctx.request
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return self._oauth_error(
                ctx, 400, "invalid_request", "Use application/x-www-form-urlencoded."
            )
        try:
            pairs = parse_qsl(
                request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False
            )
        except UnicodeDecodeError:
            return self._oauth_error(ctx, 400, "invalid_request", "The body is not UTF-8.")
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form:
                return self._oauth_error(ctx, 400, "invalid_request", f"{name} is repeated.")
            form[name] = value
        grant_type = form.get("grant_type")
        if not grant_type:
            return self._oauth_error(ctx, 400, "invalid_request", "grant_type is required.")
        if grant_type != "client_credentials":
            return self._oauth_error(
                ctx, 400, "unsupported_grant_type", "Only client_credentials is supported."
            )
        basic = request.headers.get("authorization")
        www = 'Basic realm="qbank"'
        credentials: tuple[str, str] | None
        if basic is not None:
            if "client_secret" in form:
                return self._oauth_error(
                    ctx, 400, "invalid_request", "Use one client authentication method."
                )
            credentials = parse_basic_credentials(basic)
            if credentials is None:
                return self._oauth_error(
                    ctx, 401, "invalid_client", "Malformed Basic credentials.", www
                )
        elif "client_id" in form and "client_secret" in form:
            credentials = (form["client_id"], form["client_secret"])
        else:
            return self._oauth_error(
                ctx, 401, "invalid_client", "Client authentication failed.", www
            )
        client_id, secret = credentials
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(
            client.client_secret.encode(), secret.encode()
        ):
            return self._oauth_error(
                ctx, 401, "invalid_client", "Client authentication failed.", www
            )
        requested = form.get("scope", "").split()
        if requested:
            refused = [s for s in requested if s not in client.scopes]
            if refused:
                return self._oauth_error(
                    ctx, 400, "invalid_scope", "Not granted to this client: " + " ".join(refused)
                )
            granted = list(dict.fromkeys(requested))
        else:
            granted = list(client.scopes)
        with self.lock:
            token = self.tokens.issue(client.client_id, granted, self.clock.now())
        payload = {
            "access_token": token.value,
            "token_type": "Bearer",
            "expires_in": self.tokens.ttl_seconds,
            "scope": " ".join(granted),
        }
        return self._response(
            ctx, 200, payload, headers=[("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        )

    def _authenticate(self, ctx: _Ctx) -> None:
        header = ctx.request.headers.get("authorization", "")
        scheme, _, value = header.strip().partition(" ")
        token = None
        if scheme.lower() == "bearer" and value.strip():
            with self.lock:
                token = self.tokens.check(value.strip(), self.clock.now())
        if token is None:
            raise _Rejected(
                self._error(
                    ctx,
                    401,
                    "ERR_AUTH_001",
                    "The access token is missing, invalid or expired.",
                    headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')],
                )
            )
        scope = OPERATION_SCOPES[ctx.operation]
        if scope not in token.scopes:
            raise _Rejected(
                self._error(
                    ctx,
                    403,
                    "ERR_SCOPE_001",
                    f"The access token lacks the scope {scope}.",
                    headers=[
                        ("WWW-Authenticate", f'Bearer error="insufficient_scope", scope="{scope}"')
                    ],
                )
            )
        ctx.token = token

    # reads -------------------------------------------------------------------------------
    def _limit(self, ctx: _Ctx) -> int:
        limit, details = validate_limit(ctx.request.param("limit"))
        if details:
            raise self._invalid(ctx, details)
        return limit

    def _page(
        self,
        ctx: _Ctx,
        items: list[Any],
        key: Callable[[Any], list[Any]],
        render: Callable[[Any], dict[str, Any]],
        limit: int,
        filters: dict[str, str],
        descending: bool,
    ) -> Response:
        try:
            page, next_cursor = paginate(
                items,
                key,
                limit=limit,
                cursor=ctx.request.param("cursor"),
                filters=filters,
                descending=descending,
            )
        except CursorError as exc:
            raise self._invalid(ctx, [{"field": "cursor", "issue": str(exc)}])
        return self._response(
            ctx, 200, {"data": [render(item) for item in page], "next_cursor": next_cursor}
        )

    def _read(self, ctx: _Ctx, body: Callable[[], Response]) -> Pending:
        def run() -> Response:
            try:
                with self.lock:
                    return body()
            except _Rejected as rejected:
                return rejected.response

        return Pending(run)

    def _account_or_404(self, ctx: _Ctx, account_id: str, field_name: str | None = None) -> None:
        if account_id not in self.bank.accounts:
            details = [{"field": field_name, "issue": "no such account"}] if field_name else None
            raise _Rejected(
                self._error(
                    ctx, 404, "ERR_ACC_001", f"Account {account_id} was not found.", details=details
                )
            )

    def _list_accounts(self, ctx: _Ctx) -> Pending:
        limit = self._limit(ctx)

        def body() -> Response:
            audit = self._audit(ctx, self.clock.now())
            return self._page(
                ctx,
                list(self.bank.accounts.values()),
                lambda a: [a.id],
                lambda a: a.json(audit),
                limit,
                {},
                descending=False,
            )

        return self._read(ctx, body)

    def _get_account(self, ctx: _Ctx) -> Pending:
        assert ctx.path_id is not None
        account_id = ctx.path_id

        def body() -> Response:
            self._account_or_404(ctx, account_id)
            audit = self._audit(ctx, self.clock.now())
            return self._response(ctx, 200, self.bank.accounts[account_id].json(audit))

        return self._read(ctx, body)

    def _get_balance(self, ctx: _Ctx) -> Pending:
        assert ctx.path_id is not None
        account_id = ctx.path_id

        def body() -> Response:
            self._account_or_404(ctx, account_id)
            now = self.clock.now()
            account = self.bank.accounts[account_id]
            return self._response(ctx, 200, account.balance_json(self._audit(ctx, now), now))

        return self._read(ctx, body)

    def _list_transactions(self, ctx: _Ctx) -> Pending:
        limit = self._limit(ctx)
        account_id = ctx.request.param("account_id")
        details: list[Detail] = []
        if not account_id:
            details.append({"field": "account_id", "issue": "is required"})
        bounds: dict[str, date] = {}
        for name in ("from_date", "to_date"):
            raw = ctx.request.param(name)
            if raw is not None:
                parsed = parse_date(raw)
                if parsed is None:
                    details.append({"field": name, "issue": "must be a date (YYYY-MM-DD)"})
                else:
                    bounds[name] = parsed
        if (
            "from_date" in bounds
            and "to_date" in bounds
            and bounds["from_date"] > bounds["to_date"]
        ):
            details.append({"field": "from_date", "issue": "must not be after to_date"})
        if details:
            raise self._invalid(ctx, details)
        assert account_id is not None
        filters = {"account_id": account_id}
        filters.update({name: value.isoformat() for name, value in bounds.items()})

        def body() -> Response:
            self._account_or_404(ctx, account_id, "account_id")
            low, high = bounds.get("from_date"), bounds.get("to_date")
            items = [
                t
                for t in self.bank.transactions
                if t.account_id == account_id
                and (low is None or t.posting_date.date() >= low)
                and (high is None or t.posting_date.date() <= high)
            ]
            return self._page(
                ctx,
                items,
                lambda t: t.sort_key(),
                lambda t: t.json(),
                limit,
                filters,
                descending=True,
            )

        return self._read(ctx, body)

    def _list_payments(self, ctx: _Ctx) -> Pending:
        limit = self._limit(ctx)
        filters = {
            name: value
            for name in ("account_id", "status")
            if (value := ctx.request.param(name)) is not None
        }

        def body() -> Response:
            items = [
                p
                for p in self.bank.payments.values()
                if p.client_id == ctx.client_id
                and ("account_id" not in filters or p.source_account_id == filters["account_id"])
                and ("status" not in filters or p.status == filters["status"])
            ]
            return self._page(
                ctx, items, lambda p: [p.seq], lambda p: p.json(), limit, filters, descending=True
            )

        return self._read(ctx, body)

    def _get_payment(self, ctx: _Ctx) -> Pending:
        assert ctx.path_id is not None
        payment_id = ctx.path_id

        def body() -> Response:
            payment = self.bank.payments.get(payment_id)
            if payment is None or payment.client_id != ctx.client_id:
                raise _Rejected(
                    self._error(ctx, 404, "ERR_PAY_001", f"Payment {payment_id} was not found.")
                )
            return self._response(ctx, 200, payment.json())

        return self._read(ctx, body)

    def _list_check_exceptions(self, ctx: _Ctx) -> Pending:
        limit = self._limit(ctx)
        account_id = ctx.request.param("account_id")
        filters = {"account_id": account_id} if account_id is not None else {}

        def body() -> Response:
            items = [
                e
                for e in self.bank.exceptions
                if e.status == "PENDING_DECISION"
                and (account_id is None or e.account_id == account_id)
            ]
            return self._page(
                ctx,
                items,
                lambda e: [e.seq],
                lambda e: e.json(),
                limit,
                filters,
                descending=False,
            )

        return self._read(ctx, body)

    # transactional -----------------------------------------------------------------------
    def _json_body(self, ctx: _Ctx) -> Any:
        content_type = ctx.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON and not content_type.endswith("+json"):
            raise self._invalid(
                ctx, [{"field": "body", "issue": "Content-Type must be application/json"}]
            )
        try:
            return json.loads(ctx.request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self._invalid(ctx, [{"field": "body", "issue": "must be valid JSON"}])

    def _idempotency_key(self, ctx: _Ctx) -> str:
        key = ctx.request.headers.get("idempotency-key")
        if key is None or not KEY_PATTERN.match(key):
            issue = "is required" if key is None else "must be a lowercase canonical UUID v4"
            raise _Rejected(
                self._error(
                    ctx,
                    400,
                    "ERR_IDEM_001",
                    "The Idempotency-Key header is missing or malformed.",
                    details=[{"field": "Idempotency-Key", "issue": issue}],
                )
            )
        return key

    def _transactional(
        self,
        ctx: _Ctx,
        key: str,
        fingerprint: str,
        execute: Callable[[IdempotencyEntry, Audit], tuple[int, Any]],
    ) -> Pending:
        """Claim the key, then hand back the execution (which stores its answer)."""
        with self.lock:
            claim = self.idempotency.claim(
                ctx.client_id,
                key,
                ctx.operation,
                fingerprint,
                self.bank.new_uuid(),
                self.clock.now(),
            )
        entry = claim.entry
        if claim.kind == "mismatch":
            raise _Rejected(
                self._error(
                    ctx,
                    422,
                    "ERR_IDEM_002",
                    "This Idempotency-Key was used with another request body or operation.",
                )
            )
        if claim.kind == "in_flight":
            raise _Rejected(
                self._response(
                    ctx,
                    409,
                    {
                        "type": "https://docs.qbankconnect.com/problems/idempotency-conflict",
                        "title": "Idempotency Violation",
                        "status": 409,
                        "detail": "There is already a request with this key being processed",
                        "transaction_id": entry.transaction_id,
                        "instance": ctx.request.path,
                        "request_id": ctx.request_id,
                    },
                    content_type=PROBLEM_JSON,
                )
            )
        if claim.kind == "replay":
            stored = entry.response
            assert stored is not None
            raise _Rejected(
                Response(
                    stored.status,
                    [
                        ("Content-Type", stored.content_type),
                        ("Request-Id", ctx.request_id),
                        ("Idempotent-Replayed", "true"),
                    ],
                    stored.body,
                )
            )

        def run() -> Response:
            try:
                with self.lock:
                    status, payload = execute(entry, self._audit(ctx, self.clock.now()))
                    response = self._response(ctx, status, payload)
                    self.idempotency.complete(entry, StoredResponse(status, JSON, response.body))
                return response
            except Exception:
                with self.lock:
                    self.idempotency.release(entry)
                code, message = _ERROR_CODES[500]
                return self._error(ctx, 500, code, message)

        return Pending(run)

    def _funds(self, ctx: _Ctx, refusal: InsufficientFunds) -> tuple[int, Any]:
        return 422, {
            "message": (
                f"Insufficient funds in {refusal.account_id}: available "
                f"{money(refusal.available)}, requested {money(refusal.requested)}."
            ),
            "error_code": "ERR_FUNDS_001",
            "request_id": ctx.request_id,
        }

    def _payment_result(
        self, ctx: _Ctx, result: Payment | InsufficientFunds, status: int
    ) -> tuple[int, Any]:
        if isinstance(result, InsufficientFunds):
            return self._funds(ctx, result)
        return status, result.json()

    def _create_ach_payment(self, ctx: _Ctx) -> Pending:
        key = self._idempotency_key(ctx)
        body = self._json_body(ctx)
        details = validate_ach_payment(body)
        if details:
            raise self._invalid(ctx, details)
        with self.lock:
            self._account_or_404(ctx, body["source_account_id"], "source_account_id")

        def execute(entry: IdempotencyEntry, audit: Audit) -> tuple[int, Any]:
            result = self.bank.create_ach(
                entry.transaction_id, ctx.client_id, key, body, audit, audit.timestamp
            )
            return self._payment_result(ctx, result, 202)

        return self._transactional(ctx, key, json_fingerprint(body), execute)

    def _create_wire_payment(self, ctx: _Ctx) -> Pending:
        key = self._idempotency_key(ctx)
        body = self._json_body(ctx)
        details = validate_wire_payment(body)
        if details:
            raise self._invalid(ctx, details)
        with self.lock:
            self._account_or_404(ctx, body["source_account_id"], "source_account_id")

        def execute(entry: IdempotencyEntry, audit: Audit) -> tuple[int, Any]:
            result = self.bank.create_wire(
                entry.transaction_id, ctx.client_id, key, body, audit, audit.timestamp
            )
            return self._payment_result(ctx, result, 201)

        return self._transactional(ctx, key, json_fingerprint(body), execute)

    def _create_transfer(self, ctx: _Ctx) -> Pending:
        key = self._idempotency_key(ctx)
        body = self._json_body(ctx)
        details = validate_transfer(body)
        if details:
            raise self._invalid(ctx, details)
        with self.lock:
            self._account_or_404(ctx, body["source_account_id"], "source_account_id")
            self._account_or_404(ctx, body["destination_account_id"], "destination_account_id")
            source = self.bank.accounts[body["source_account_id"]]
            destination = self.bank.accounts[body["destination_account_id"]]
        currency = body.get("currency", source.currency)
        if currency != source.currency or currency != destination.currency:
            raise self._invalid(
                ctx, [{"field": "currency", "issue": "must be the currency of both accounts"}]
            )

        def execute(entry: IdempotencyEntry, audit: Audit) -> tuple[int, Any]:
            result = self.bank.create_transfer(
                entry.transaction_id, ctx.client_id, key, body, audit, audit.timestamp
            )
            return self._payment_result(ctx, result, 201)

        return self._transactional(ctx, key, json_fingerprint(body), execute)

    def _create_check_issue(self, ctx: _Ctx) -> Pending:
        key = self._idempotency_key(ctx)
        body = self._json_body(ctx)
        details = validate_check_issue(body)
        if details:
            raise self._invalid(ctx, details)
        with self.lock:
            self._account_or_404(ctx, body["account_id"], "account_id")

        def execute(entry: IdempotencyEntry, audit: Audit) -> tuple[int, Any]:
            issue = self.bank.create_check_issue(entry.transaction_id, ctx.client_id, body, audit)
            return 202, issue.json()

        return self._transactional(ctx, key, json_fingerprint(body), execute)

    def _upload_ach_file(self, ctx: _Ctx) -> Pending:
        key = self._idempotency_key(ctx)
        boundary = boundary_of(ctx.request.headers.get("content-type", ""))
        if boundary is None:
            raise self._invalid(
                ctx, [{"field": "body", "issue": "Content-Type must be multipart/form-data"}]
            )
        try:
            parts = parse_multipart(ctx.request.body, boundary)
        except MultipartError as exc:
            raise self._invalid(ctx, [{"field": "body", "issue": f"malformed multipart: {exc}"}])
        file_part = parts.get("file")
        if file_part is None:
            raise self._invalid(ctx, [{"field": "file", "issue": "is required"}])
        fields = {
            name: part.data.decode("utf-8", "replace")
            for name, part in parts.items()
            if name != "file"
        }
        source_id = fields.get("source_account_id", ACCOUNT_OPERATING)
        if not source_id:
            raise self._invalid(ctx, [{"field": "source_account_id", "issue": "must not be empty"}])
        try:
            entries: list[NachaEntry] = parse_ach_file(file_part.data)
        except NachaError as exc:
            raise self._invalid(ctx, exc.details)
        with self.lock:
            self._account_or_404(ctx, source_id, "source_account_id")
        fingerprint = multipart_fingerprint(file_part.data, fields)

        def execute(entry: IdempotencyEntry, audit: Audit) -> tuple[int, Any]:
            result = self.bank.create_ach_file(
                entry.transaction_id,
                ctx.client_id,
                key,
                source_id,
                file_part.filename,
                entries,
                audit,
                audit.timestamp,
            )
            if isinstance(result, InsufficientFunds):
                return self._funds(ctx, result)
            return 202, result.json()

        return self._transactional(ctx, key, fingerprint, execute)
