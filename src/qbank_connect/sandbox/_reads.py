"""The read operations: accounts, balances, transactions and payments, with cursor paging.

Each handler validates its query first (a 400 answers at once) and returns the read itself as
``Pending`` work, which runs under the sandbox lock after any injected latency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._call import Call, Pending
from ._clock import parse_date
from ._http import Detail, Response
from ._pagination import CursorError, paginate
from ._records import Account, Audit, Payment, Transaction
from ._validation import validate_limit

if TYPE_CHECKING:
    from ._app import App

__all__ = [
    "get_account",
    "get_balance",
    "get_payment",
    "list_accounts",
    "list_payments",
    "list_transactions",
    "Listing",
    "page_size",
]

T = TypeVar("T")


def page_size(call: Call) -> int:
    """The ``limit`` query parameter (1..100, default 25), or a 400."""
    limit, details = validate_limit(call.param("limit"))
    if details:
        raise call.invalid(details)
    return limit


@dataclass(frozen=True)
class Listing(Generic[T]):
    """How a list operation pages its items: the keyset ``key``, the order and the JSON form."""

    key: Callable[[T], list[Any]]
    render: Callable[[T, Audit], dict[str, Any]]
    descending: bool

    def page(
        self,
        app: App,
        call: Call,
        limit: int,
        filters: dict[str, str],
        select: Callable[[], Sequence[T]],
    ) -> Pending:
        """One page of ``select()`` after the request's ``cursor``, as
        ``{"data": [...], "next_cursor": ...}``."""

        def body() -> Response:
            try:
                items, next_cursor = paginate(
                    select(),
                    self.key,
                    limit=limit,
                    cursor=call.param("cursor"),
                    filters=filters,
                    descending=self.descending,
                )
            except CursorError as exc:
                raise call.invalid([{"field": "cursor", "issue": str(exc)}])
            audit = call.audit(app.clock.now())
            data = [self.render(item, audit) for item in items]
            return call.respond(200, {"data": data, "next_cursor": next_cursor})

        return app.read(call, body)


ACCOUNTS = Listing[Account](lambda a: [a.id], lambda a, audit: a.json(audit), descending=False)
TRANSACTIONS = Listing[Transaction](
    lambda t: t.sort_key(), lambda t, audit: t.json(), descending=True
)
PAYMENTS = Listing[Payment](lambda p: [p.seq], lambda p, audit: p.json(), descending=True)


def list_accounts(app: App, call: Call) -> Pending:
    return ACCOUNTS.page(app, call, page_size(call), {}, lambda: list(app.bank.accounts.values()))


def get_account(app: App, call: Call) -> Pending:
    def body() -> Response:
        account = call.account(app.bank.accounts, call.path["account_id"])
        return call.respond(200, account.json(call.audit(app.clock.now())))

    return app.read(call, body)


def get_balance(app: App, call: Call) -> Pending:
    def body() -> Response:
        account = call.account(app.bank.accounts, call.path["account_id"])
        now = app.clock.now()
        return call.respond(200, account.balance_json(call.audit(now), now))

    return app.read(call, body)


def list_transactions(app: App, call: Call) -> Pending:
    limit = page_size(call)
    account_id = call.param("account_id")
    details: list[Detail] = []
    if not account_id:
        details.append({"field": "account_id", "issue": "is required"})
    bounds: dict[str, date] = {}
    for name in ("from_date", "to_date"):
        raw = call.param(name)
        if raw is not None:
            parsed = parse_date(raw)
            if parsed is None:
                details.append({"field": name, "issue": "must be a date (YYYY-MM-DD)"})
            else:
                bounds[name] = parsed
    low, high = bounds.get("from_date"), bounds.get("to_date")
    if low is not None and high is not None and low > high:
        details.append({"field": "from_date", "issue": "must not be after to_date"})
    if details or account_id is None:
        raise call.invalid(details)
    filters = {"account_id": account_id}
    filters.update({name: value.isoformat() for name, value in bounds.items()})

    def select() -> list[Transaction]:
        call.account(app.bank.accounts, account_id, "account_id")
        return [
            t
            for t in app.bank.transactions
            if t.account_id == account_id
            and (low is None or t.posting_date.date() >= low)
            and (high is None or t.posting_date.date() <= high)
        ]

    return TRANSACTIONS.page(app, call, limit, filters, select)


def list_payments(app: App, call: Call) -> Pending:
    limit = page_size(call)
    filters = {
        name: value for name in ("account_id", "status") if (value := call.param(name)) is not None
    }

    def select() -> list[Payment]:
        return [
            p
            for p in app.bank.payments.values()
            if p.client_id == call.client_id
            and ("account_id" not in filters or p.source_account_id == filters["account_id"])
            and ("status" not in filters or p.status == filters["status"])
        ]

    return PAYMENTS.page(app, call, limit, filters, select)


def get_payment(app: App, call: Call) -> Pending:
    payment_id = call.path["payment_id"]

    def body() -> Response:
        payment = app.bank.payments.get(payment_id)
        if payment is None or payment.client_id != call.client_id:
            raise call.error(404, "ERR_PAY_001", f"Payment {payment_id} was not found.")
        return call.respond(200, payment.json())

    return app.read(call, body)
