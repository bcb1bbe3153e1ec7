"""Resources the API returns. Unknown fields are kept (``model.model_extra``), unknown
enumeration values are kept as strings, and money is always ``Decimal``."""

from __future__ import annotations

from datetime import date, datetime

from ._base import AuditedResource, ResponseModel, ResponseMoney, SignedMoney
from ._enums import (
    OpenAccountStatus,
    OpenAccountType,
    OpenAchFileStatus,
    OpenCheckExceptionReason,
    OpenCheckExceptionStatus,
    OpenCheckIssueStatus,
    OpenPaymentStatus,
    OpenPaymentType,
    OpenTransactionDirection,
    OpenWebhookEventType,
    PaymentStatus,
)

__all__ = [
    "Account",
    "AchFile",
    "Balance",
    "CheckException",
    "CheckIssue",
    "Counterparty",
    "Payment",
    "PaymentEventData",
    "StatusChange",
    "TokenResponse",
    "Transaction",
    "WebhookEvent",
]

FINAL_STATUSES = frozenset({PaymentStatus.P_COMPLETED, PaymentStatus.P_FAILED})


class TokenResponse(ResponseModel):
    """What ``POST /token`` returns. The SDK keeps it private; its repr hides the token."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str | None = None

    def __repr_args__(self):  # type: ignore[no-untyped-def]
        for name, value in super().__repr_args__():
            yield name, ("***" if name == "access_token" else value)


class Account(AuditedResource):
    """A bank account. Batch-latent: refreshed nightly."""

    id: str
    name: str
    type: OpenAccountType
    currency: str
    status: OpenAccountStatus
    account_number_last4: str
    """The last four digits; the full number is never returned."""
    routing_number: str
    opened_date: date | None = None
    updated_at: datetime | None = None
    """Time of the nightly refresh that produced this record."""


class Balance(AuditedResource):
    """The current cash position of an account, read in real time from the core system."""

    account_id: str
    currency: str
    available: SignedMoney
    """Funds available now (may be negative)."""
    ledger: SignedMoney
    """Posted (ledger) balance."""
    as_of: datetime


class Transaction(AuditedResource):
    """A posted entry. Three dates, each with its own use in reconciliation."""

    id: str
    account_id: str
    amount: ResponseMoney
    currency: str
    direction: OpenTransactionDirection
    description: str
    reference: str | None = None
    payment_id: str | None = None
    """The payment that produced this entry, if any."""
    transaction_date: datetime
    """Initiated: when the customer or ERP initiated the transaction."""
    value_date: date
    """Funds/interest: the day funds are credited or debited for interest calculation."""
    posting_date: datetime
    """Posted: when the record became available through the API (end-of-day sync)."""


class StatusChange(ResponseModel):
    """One step in a payment's life."""

    status: OpenPaymentStatus
    at: datetime
    reason: str | None = None


class Counterparty(ResponseModel):
    """The other side of a payment; for transfers, ``account_id`` is the destination account."""

    name: str | None = None
    account_id: str | None = None
    account_number_last4: str | None = None
    routing_number: str | None = None
    bic: str | None = None


class Payment(AuditedResource):
    """An ACH payment, wire or transfer, with its full status history."""

    id: str
    type: OpenPaymentType
    status: OpenPaymentStatus
    amount: ResponseMoney
    currency: str
    source_account_id: str
    counterparty: Counterparty
    effective_date: date | None = None
    memo: str | None = None
    failure_code: str | None = None
    """On ``P_FAILED``, e.g. an ACH return code such as ``R01``."""
    failure_reason: str | None = None
    ach_file_id: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    status_history: list[StatusChange]

    @property
    def is_final(self) -> bool:
        """True once the payment is ``P_COMPLETED`` or ``P_FAILED``; it will not change again."""
        return self.status in FINAL_STATUSES

    @property
    def is_completed(self) -> bool:
        """True when the payment completed successfully."""
        return self.status == PaymentStatus.P_COMPLETED

    @property
    def is_failed(self) -> bool:
        """True when the payment failed (see ``failure_code`` and ``failure_reason``)."""
        return self.status == PaymentStatus.P_FAILED


class AchFile(AuditedResource):
    """A NACHA file accepted for the next ACH batch; each entry became one payment."""

    id: str
    file_name: str | None = None
    status: OpenAchFileStatus
    entry_count: int
    total_credit: ResponseMoney
    total_debit: ResponseMoney
    payment_ids: list[str]
    received_at: datetime


class CheckIssue(AuditedResource):
    """An issued or voided check registered for Positive Pay."""

    id: str
    account_id: str
    check_number: str
    amount: ResponseMoney
    issue_date: date
    payee_name: str
    void: bool
    status: OpenCheckIssueStatus


class CheckException(AuditedResource):
    """A presented check that matched no issue record and awaits a pay/return decision."""

    id: str
    account_id: str
    check_number: str
    presented_amount: ResponseMoney
    issued_amount: ResponseMoney | None = None
    payee_name: str | None = None
    reason: OpenCheckExceptionReason
    presented_date: date
    decision_deadline: datetime
    status: OpenCheckExceptionStatus


class PaymentEventData(ResponseModel):
    payment: Payment


class WebhookEvent(ResponseModel):
    """A ``paymentStatusUpdate`` delivery. De-duplicate on ``id``: it is the same across attempts."""

    id: str
    type: OpenWebhookEventType
    created_at: datetime
    data: PaymentEventData

    @property
    def payment(self) -> Payment:
        """The payment the event is about, in its final state."""
        return self.data.payment
