"""The SDK's one table of the API's operations (spec/openapi.yaml), read by every layer.

The resources build their calls from it, tracing names spans with it, ``recover()`` knows what
it can send again from it, ``client.request()`` learns whether a path is transactional from it,
and the CLI registers its commands against it. ``tests/test_operations.py`` checks it against
the spec. (The sandbox keeps a table of its own: it is an independent fake of the server.)
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import RequestModel, ResponseModel

__all__ = ["OPERATIONS", "Operation", "operation", "route"]


@dataclass(frozen=True)
class Operation:
    """One operation of the contract.

    Example::

        operation("createAchPayment").path          # "/payments/ach"
        operation("getBalance").url(account_id="acc_operating")   # "/balances/acc_operating"
    """

    method: str
    path: str
    """The spec's path template, relative to the base URL: ``/balances/{account_id}``."""
    operation_id: str
    scope: str | None
    """The OAuth scope the bearer token needs (``None``: no bearer, as for ``/token``)."""
    transactional: bool
    """Sent with an ``Idempotency-Key``, reused by every retry."""
    answer: str
    """The model (in :mod:`qbank_connect.models`) of a 2xx answer, by name: the table loads no
    model, so ``qbank --help`` stays light; :attr:`model` is the class."""
    request: str | None = None
    """The JSON request body's model, by name (``None``: no JSON body); :attr:`body` is the
    class."""
    query: tuple[str, ...] = ()
    """The query parameters the SDK's method sets (``extra_query=`` may not)."""
    recoverable: bool = False
    """``recover()`` can send it again from the journal alone (a JSON body; an upload's file
    is not kept)."""

    @property
    def model(self) -> type[ResponseModel]:
        """The class of a 2xx answer."""
        model: type[ResponseModel] = getattr(_models(), self.answer)
        return model

    @property
    def body(self) -> type[RequestModel] | None:
        """The class of the JSON request body (``None``: none)."""
        if self.request is None:
            return None
        body: type[RequestModel] = getattr(_models(), self.request)
        return body

    def url(self, **params: str) -> str:
        """The path with its parameters filled in (already checked and percent-encoded)."""
        return self.path.format(**params) if params else self.path


def _models() -> object:
    return importlib.import_module("qbank_connect.models")


_PAGE = ("limit", "cursor")

# Literal paths before templated ones: "/payments/ach" is not a {payment_id}.
OPERATIONS: tuple[Operation, ...] = (
    Operation("POST", "/token", "createToken", None, False, "TokenResponse"),
    Operation(
        "GET", "/accounts", "listAccounts", "accounts.read", False, "AccountList", query=_PAGE
    ),
    Operation("GET", "/accounts/{account_id}", "getAccount", "accounts.read", False, "Account"),
    Operation("GET", "/balances/{account_id}", "getBalance", "balances.read", False, "Balance"),
    Operation(
        "GET",
        "/transactions",
        "listTransactions",
        "transactions.read",
        False,
        "TransactionList",
        query=("account_id", "from_date", "to_date", *_PAGE),
    ),
    Operation(
        "GET",
        "/payments",
        "listPayments",
        "payments.read",
        False,
        "PaymentList",
        query=("account_id", "status", *_PAGE),
    ),
    Operation("GET", "/payments/{payment_id}", "getPayment", "payments.read", False, "Payment"),
    Operation(
        "POST",
        "/payments/ach",
        "createAchPayment",
        "payments.ach.write",
        True,
        "Payment",
        request="AchPaymentRequest",
        recoverable=True,
    ),
    Operation(
        "POST", "/payments/ach/files", "uploadAchFile", "payments.ach.write", True, "AchFile"
    ),
    Operation(
        "POST",
        "/payments/wire",
        "createWirePayment",
        "payments.wire.write",
        True,
        "Payment",
        request="WirePaymentRequest",
        recoverable=True,
    ),
    Operation(
        "POST",
        "/transfers",
        "createTransfer",
        "transfers.write",
        True,
        "Payment",
        request="TransferRequest",
        recoverable=True,
    ),
    Operation(
        "POST",
        "/positivepay/issues",
        "createCheckIssue",
        "positivepay.issues.write",
        True,
        "CheckIssue",
        request="CheckIssueRequest",
        recoverable=True,
    ),
    Operation(
        "GET",
        "/positivepay/exceptions",
        "listCheckExceptions",
        "positivepay.exceptions.read",
        False,
        "CheckExceptionList",
        query=("account_id", *_PAGE),
    ),
)

_BY_ID: Mapping[str, Operation] = {op.operation_id: op for op in OPERATIONS}
# Literal paths by (method, path); templates ending in one "{id}" segment by (method, parent).
_FIXED: Mapping[tuple[str, str], Operation] = {
    (op.method, op.path): op for op in OPERATIONS if "{" not in op.path
}
_BY_PARENT: Mapping[tuple[str, str], Operation] = {
    (op.method, op.path.rpartition("/")[0]): op for op in OPERATIONS if "{" in op.path
}


def operation(operation_id: str) -> Operation:
    """The row of an operationId (``KeyError`` for one the SDK does not know).

    Example::

        operation("createTransfer").transactional   # True
    """
    return _BY_ID[operation_id]


def route(method: str, path: str) -> Operation | None:
    """The operation a method and a concrete path (relative to the base URL) call, or ``None``.

    Example::

        route("GET", "/balances/acc_operating").operation_id   # "getBalance"
    """
    found = _FIXED.get((method, path))
    if found is None:
        parent, _, last = path.rpartition("/")
        found = _BY_PARENT.get((method, parent)) if last else None
    return found
