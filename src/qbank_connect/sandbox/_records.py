"""The sandbox's stored records and their JSON form (plain dicts, as the spec shows them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ._clock import format_date, format_datetime

__all__ = [
    "Account",
    "AchFile",
    "Audit",
    "CheckException",
    "CheckIssue",
    "Origin",
    "Payment",
    "StatusChange",
    "Transaction",
    "counterparty",
    "money",
]

JSONDict = dict[str, Any]


def money(amount: Decimal) -> str:
    """Exactly two decimal places, as the API always answers."""
    return f"{amount.quantize(Decimal('0.01')):f}"


@dataclass(frozen=True)
class Audit:
    """SOX/PCI audit fields: when, who (client id) and which request."""

    timestamp: datetime
    actor: str
    request_id: str

    def json(self) -> JSONDict:
        return {
            "timestamp": format_datetime(self.timestamp),
            "actor": self.actor,
            "request_id": self.request_id,
        }


@dataclass(frozen=True)
class Origin:
    """Who creates a record and under which id: the transaction id claimed with the
    idempotency key, the client, the key and the request's audit fields (``timestamp`` is now)."""

    id: str
    client_id: str
    idempotency_key: str | None
    audit: Audit


def counterparty(
    name: str,
    account_number: str,
    *,
    account_id: str | None = None,
    routing_number: str | None = None,
    bic: str | None = None,
) -> dict[str, str | None]:
    """A payment's ``counterparty``: only the last four digits of the account number."""
    digits = "".join(c for c in account_number if c.isdigit())
    return {
        "name": name,
        "account_id": account_id,
        "account_number_last4": digits[-4:] if len(digits) >= 4 else None,
        "routing_number": routing_number,
        "bic": bic,
    }


@dataclass
class Account:
    id: str
    name: str
    type: str
    currency: str
    status: str
    number: str
    routing_number: str
    opened_date: date
    updated_at: datetime
    available: Decimal
    ledger: Decimal

    def json(self, audit: Audit) -> JSONDict:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "currency": self.currency,
            "status": self.status,
            "account_number_last4": self.number[-4:],
            "routing_number": self.routing_number,
            "opened_date": format_date(self.opened_date),
            "updated_at": format_datetime(self.updated_at),
            **audit.json(),
        }

    def balance_json(self, audit: Audit, as_of: datetime) -> JSONDict:
        return {
            "account_id": self.id,
            "currency": self.currency,
            "available": money(self.available),
            "ledger": money(self.ledger),
            "as_of": format_datetime(as_of),
            **audit.json(),
        }


@dataclass
class Transaction:
    id: str
    seq: int
    account_id: str
    amount: Decimal
    currency: str
    direction: str
    description: str
    reference: str | None
    payment_id: str | None
    transaction_date: datetime
    value_date: date
    posting_date: datetime
    audit: Audit

    def sort_key(self) -> list[Any]:
        return [format_datetime(self.posting_date), self.seq]

    def json(self) -> JSONDict:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "amount": money(self.amount),
            "currency": self.currency,
            "direction": self.direction,
            "description": self.description,
            "reference": self.reference,
            "payment_id": self.payment_id,
            "transaction_date": format_datetime(self.transaction_date),
            "value_date": format_date(self.value_date),
            "posting_date": format_datetime(self.posting_date),
            **self.audit.json(),
        }


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime
    reason: str | None = None

    def json(self) -> JSONDict:
        return {"status": self.status, "at": format_datetime(self.at), "reason": self.reason}


@dataclass
class Payment:
    id: str
    seq: int
    client_id: str
    idempotency_key: str | None
    type: str
    direction: str
    status: str
    amount: Decimal
    currency: str
    source_account_id: str
    counterparty: dict[str, str | None]
    created_at: datetime
    audit: Audit
    effective_date: date | None = None
    memo: str | None = None
    ach_file_id: str | None = None
    destination_account_id: str | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    history: list[StatusChange] = field(default_factory=list[StatusChange])
    updated_at: datetime | None = None
    # When the payment moves on by itself (ACH batch, slow wire), and how it will end.
    settle_at: datetime | None = None
    planned_failure: tuple[str, str] | None = None

    @property
    def final(self) -> bool:
        return self.status in ("P_COMPLETED", "P_FAILED")

    def set_status(self, status: str, at: datetime, reason: str | None = None) -> None:
        self.status = status
        self.updated_at = at
        self.history.append(StatusChange(status, at, reason))

    def json(self) -> JSONDict:
        return {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "amount": money(self.amount),
            "currency": self.currency,
            "source_account_id": self.source_account_id,
            "counterparty": dict(self.counterparty),
            "effective_date": format_date(self.effective_date) if self.effective_date else None,
            "memo": self.memo,
            "failure_code": self.failure_code,
            "failure_reason": self.failure_reason,
            "ach_file_id": self.ach_file_id,
            "created_at": format_datetime(self.created_at),
            "updated_at": format_datetime(self.updated_at or self.created_at),
            "status_history": [change.json() for change in self.history],
            **self.audit.json(),
        }


@dataclass
class AchFile:
    id: str
    client_id: str
    file_name: str | None
    status: str
    total_credit: Decimal
    total_debit: Decimal
    payment_ids: list[str]
    received_at: datetime
    audit: Audit

    def json(self) -> JSONDict:
        return {
            "id": self.id,
            "file_name": self.file_name,
            "status": self.status,
            "entry_count": len(self.payment_ids),
            "total_credit": money(self.total_credit),
            "total_debit": money(self.total_debit),
            "payment_ids": list(self.payment_ids),
            "received_at": format_datetime(self.received_at),
            **self.audit.json(),
        }


@dataclass
class CheckIssue:
    id: str
    client_id: str
    account_id: str
    check_number: str
    amount: Decimal
    issue_date: date
    payee_name: str
    void: bool
    status: str
    audit: Audit

    def json(self) -> JSONDict:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "check_number": self.check_number,
            "amount": money(self.amount),
            "issue_date": format_date(self.issue_date),
            "payee_name": self.payee_name,
            "void": self.void,
            "status": self.status,
            **self.audit.json(),
        }


@dataclass
class CheckException:
    id: str
    seq: int
    account_id: str
    check_number: str
    presented_amount: Decimal
    issued_amount: Decimal | None
    payee_name: str | None
    reason: str
    presented_date: date
    decision_deadline: datetime
    status: str
    audit: Audit

    def json(self) -> JSONDict:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "check_number": self.check_number,
            "presented_amount": money(self.presented_amount),
            "issued_amount": money(self.issued_amount) if self.issued_amount is not None else None,
            "payee_name": self.payee_name,
            "reason": self.reason,
            "presented_date": format_date(self.presented_date),
            "decision_deadline": format_datetime(self.decision_deadline),
            "status": self.status,
            **self.audit.json(),
        }
