"""The one table of the API's operations: route, operationId, scope, idempotency, handler.

``tests/sandbox/test_sandbox_operations.py`` checks it against ``spec/openapi.yaml``. Adding an
endpoint is one row here and one handler in the module of its resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import _oauth, _payments, _positivepay, _reads
from ._call import Call, Pending
from ._http import Response

if TYPE_CHECKING:
    from ._app import App

__all__ = [
    "OPERATIONS",
    "OPERATION_SCOPES",
    "TRANSACTIONAL_OPERATIONS",
    "Handler",
    "Operation",
    "Route",
    "route",
]

Handler = Callable[["App", Call], "Pending | Response"]
"""Validates a call and returns its answer, or the ``Pending`` work to run after any latency."""


@dataclass(frozen=True)
class Operation:
    """One operation of ``spec/openapi.yaml``.

    ``scope`` is the OAuth scope its bearer token needs (None: no bearer, as for ``/token``);
    a ``transactional`` operation requires an ``Idempotency-Key``.
    """

    method: str
    path: str  # as in the spec, relative to the base URL: "/accounts/{account_id}"
    operation_id: str
    scope: str | None
    transactional: bool
    handler: Handler
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        object.__setattr__(self, "pattern", re.compile(regex))


# Literal paths come before templated ones: "/payments/ach" is not a {payment_id}.
OPERATIONS: tuple[Operation, ...] = (
    Operation("POST", "/token", "createToken", None, False, _oauth.create_token),
    Operation("GET", "/accounts", "listAccounts", "accounts.read", False, _reads.list_accounts),
    Operation(
        "GET", "/accounts/{account_id}", "getAccount", "accounts.read", False, _reads.get_account
    ),
    Operation(
        "GET", "/balances/{account_id}", "getBalance", "balances.read", False, _reads.get_balance
    ),
    Operation(
        "GET",
        "/transactions",
        "listTransactions",
        "transactions.read",
        False,
        _reads.list_transactions,
    ),
    Operation("GET", "/payments", "listPayments", "payments.read", False, _reads.list_payments),
    Operation(
        "POST", "/payments/ach", "createAchPayment", "payments.ach.write", True, _payments.ach
    ),
    Operation(
        "POST",
        "/payments/ach/files",
        "uploadAchFile",
        "payments.ach.write",
        True,
        _payments.ach_file,
    ),
    Operation(
        "POST", "/payments/wire", "createWirePayment", "payments.wire.write", True, _payments.wire
    ),
    Operation(
        "GET", "/payments/{payment_id}", "getPayment", "payments.read", False, _reads.get_payment
    ),
    Operation("POST", "/transfers", "createTransfer", "transfers.write", True, _payments.transfer),
    Operation(
        "POST",
        "/positivepay/issues",
        "createCheckIssue",
        "positivepay.issues.write",
        True,
        _positivepay.create_check_issue,
    ),
    Operation(
        "GET",
        "/positivepay/exceptions",
        "listCheckExceptions",
        "positivepay.exceptions.read",
        False,
        _positivepay.list_check_exceptions,
    ),
)

OPERATION_SCOPES: Mapping[str, str] = {
    op.operation_id: op.scope for op in OPERATIONS if op.scope is not None
}
"""The scope each bearer-authenticated operation needs, by operationId."""

TRANSACTIONAL_OPERATIONS: tuple[str, ...] = tuple(
    op.operation_id for op in OPERATIONS if op.transactional
)
"""The operationIds that require an ``Idempotency-Key`` (the default targets of chaos)."""


@dataclass(frozen=True)
class Route:
    """Where a method and path lead: an operation and its path parameters, or (when
    ``operation`` is None) the methods the path allows (none: no such path)."""

    operation: Operation | None
    params: Mapping[str, str]
    allowed: tuple[str, ...] = ()


def route(method: str, path: str) -> Route:
    """Match a method and a path relative to the base URL. ``HEAD`` is routed as ``GET``.

    The most literal matching path wins for every method: ``GET /payments/ach`` is a 405 (the
    path allows POST), never ``getPayment`` of a payment called "ach"."""
    wanted = "GET" if method == "HEAD" else method
    matches = [(op, found) for op in OPERATIONS if (found := op.pattern.fullmatch(path))]
    if not matches:
        return Route(None, {})
    best = min(op.path.count("{") for op, _ in matches)
    matches = [(op, found) for op, found in matches if op.path.count("{") == best]
    for op, found in matches:
        if op.method == wanted:
            return Route(op, found.groupdict())
    return Route(None, {}, tuple(sorted({op.method for op, _ in matches})))
