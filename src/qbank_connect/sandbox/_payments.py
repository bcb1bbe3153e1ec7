"""The payment operations: ACH (single and NACHA file), wires and book transfers.

Each handler validates the request and checks the accounts it names (a 400 or 404 answers
before the idempotency key is claimed), then hands the execution to ``App.transactional``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._bank import InsufficientFunds
from ._call import Call, Pending
from ._idempotency import json_fingerprint, multipart_fingerprint
from ._multipart import MultipartError, boundary_of, parse_multipart
from ._nacha import NachaEntry, NachaError, parse_ach_file
from ._records import Account, AchFile, Origin, Payment, money
from ._seed import ACCOUNT_OPERATING
from ._validation import (
    Detail,
    validate_ach_payment,
    validate_transfer,
    validate_wire_payment,
)

if TYPE_CHECKING:
    from ._app import App

__all__ = ["ach", "ach_file", "transfer", "wire"]

Create = Callable[[Origin, Mapping[str, Any]], "Payment | InsufficientFunds"]
"""A ``Bank.create_*`` method for one payment."""


def _answer(
    call: Call, result: Payment | AchFile | InsufficientFunds, status: int
) -> tuple[int, Any]:
    """The status and body to store for the key: the record, or 422 ``ERR_FUNDS_001``."""
    if not isinstance(result, InsufficientFunds):
        return status, result.json()
    return 422, {
        "message": (
            f"Insufficient funds in {result.account_id}: available "
            f"{money(result.available)}, requested {money(result.requested)}."
        ),
        "error_code": "ERR_FUNDS_001",
        "request_id": call.request_id,
    }


def _payment(
    app: App,
    call: Call,
    validate: Callable[[Any], list[Detail]],
    create: Create,
    status: int,
    account_fields: Sequence[str] = ("source_account_id",),
    check: Callable[[Call, Mapping[str, Any], list[Account]], None] | None = None,
) -> Pending:
    body = call.json_body(validate)
    with app.lock:
        accounts = [call.account(app.bank.accounts, body[name], name) for name in account_fields]
    if check is not None:
        check(call, body, accounts)

    def execute(origin: Origin) -> tuple[int, Any]:
        return _answer(call, create(origin, body), status)

    return app.transactional(call, json_fingerprint(body), execute)


def ach(app: App, call: Call) -> Pending:
    """``createAchPayment``: 202, pending until the next ACH batch."""
    return _payment(app, call, validate_ach_payment, app.bank.create_ach, 202)


def wire(app: App, call: Call) -> Pending:
    """``createWirePayment``: 201, final (or processing for the slow magic number)."""
    return _payment(app, call, validate_wire_payment, app.bank.create_wire, 201)


def _same_currency(call: Call, body: Mapping[str, Any], accounts: list[Account]) -> None:
    source, destination = accounts
    currency = body.get("currency", source.currency)
    if currency != source.currency or currency != destination.currency:
        raise call.invalid(
            [{"field": "currency", "issue": "must be the currency of both accounts"}]
        )


def transfer(app: App, call: Call) -> Pending:
    """``createTransfer``: 201, booked at once between two of the client's accounts."""
    return _payment(
        app,
        call,
        validate_transfer,
        app.bank.create_transfer,
        201,
        ("source_account_id", "destination_account_id"),
        _same_currency,
    )


def ach_file(app: App, call: Call) -> Pending:
    """``uploadAchFile``: a NACHA file as multipart ``file`` (plus ``source_account_id``)."""
    boundary = boundary_of(call.request.headers.get("content-type", ""))
    if boundary is None:
        raise call.invalid([{"field": "body", "issue": "Content-Type must be multipart/form-data"}])
    try:
        parts = parse_multipart(call.request.body, boundary)
    except MultipartError as exc:
        raise call.invalid([{"field": "body", "issue": f"malformed multipart: {exc}"}])
    file_part = parts.get("file")
    if file_part is None:
        raise call.invalid([{"field": "file", "issue": "is required"}])
    fields = {
        name: part.data.decode("utf-8", "replace") for name, part in parts.items() if name != "file"
    }
    source_id = fields.get("source_account_id", ACCOUNT_OPERATING)
    if not source_id:
        raise call.invalid([{"field": "source_account_id", "issue": "must not be empty"}])
    try:
        entries: list[NachaEntry] = parse_ach_file(file_part.data)
    except NachaError as exc:
        raise call.invalid(exc.details)
    with app.lock:
        call.account(app.bank.accounts, source_id, "source_account_id")

    def execute(origin: Origin) -> tuple[int, Any]:
        result = app.bank.create_ach_file(origin, source_id, file_part.filename, entries)
        return _answer(call, result, 202)

    return app.transactional(call, multipart_fingerprint(file_part.data, fields), execute)
