"""Open enumerations: a type checker knows the members, yet a value QBank adds later still parses.

Each field typed with one of these aliases holds an enum member when the value is known, and the
plain string otherwise, so ``payment.status == PaymentStatus.P_COMPLETED`` and
``payment.status == "P_COMPLETED"`` both work and a new status never breaks parsing.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Union

from pydantic import Field

__all__ = [
    "AccountStatus",
    "AccountType",
    "AchFileStatus",
    "CheckExceptionReason",
    "CheckExceptionStatus",
    "CheckIssueStatus",
    "OpenAccountStatus",
    "OpenAccountType",
    "OpenAchFileStatus",
    "OpenCheckExceptionReason",
    "OpenCheckExceptionStatus",
    "OpenCheckIssueStatus",
    "OpenPaymentStatus",
    "OpenPaymentType",
    "OpenTransactionDirection",
    "OpenWebhookEventType",
    "PaymentStatus",
    "PaymentType",
    "TransactionDirection",
    "WebhookEventType",
]


class _StrEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)


class PaymentStatus(_StrEnum):
    """Where a payment is. ``P_COMPLETED`` and ``P_FAILED`` are final."""

    P_PENDING = "P_PENDING"
    P_PROCESSING = "P_PROCESSING"
    P_COMPLETED = "P_COMPLETED"
    P_FAILED = "P_FAILED"


class PaymentType(_StrEnum):
    ACH = "ach"
    WIRE = "wire"
    TRANSFER = "transfer"


class AccountType(_StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"
    MONEY_MARKET = "money_market"


class AccountStatus(_StrEnum):
    OPEN = "open"
    FROZEN = "frozen"
    CLOSED = "closed"


class TransactionDirection(_StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class AchFileStatus(_StrEnum):
    RECEIVED = "RECEIVED"
    VALIDATED = "VALIDATED"
    REJECTED = "REJECTED"


class CheckIssueStatus(_StrEnum):
    RECEIVED = "RECEIVED"
    ACTIVE = "ACTIVE"


class CheckExceptionReason(_StrEnum):
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    NO_ISSUE_RECORD = "NO_ISSUE_RECORD"
    DUPLICATE = "DUPLICATE"
    STALE_DATED = "STALE_DATED"
    VOIDED = "VOIDED"
    PAYEE_MISMATCH = "PAYEE_MISMATCH"


class CheckExceptionStatus(_StrEnum):
    PENDING_DECISION = "PENDING_DECISION"


class WebhookEventType(_StrEnum):
    PAYMENT_STATUS_UPDATE = "paymentStatusUpdate"


# Left-to-right: try the enum first, keep the raw string when the value is new.
_open = Field(union_mode="left_to_right")
OpenPaymentStatus = Annotated[Union[PaymentStatus, str], _open]
OpenPaymentType = Annotated[Union[PaymentType, str], _open]
OpenAccountType = Annotated[Union[AccountType, str], _open]
OpenAccountStatus = Annotated[Union[AccountStatus, str], _open]
OpenTransactionDirection = Annotated[Union[TransactionDirection, str], _open]
OpenAchFileStatus = Annotated[Union[AchFileStatus, str], _open]
OpenCheckIssueStatus = Annotated[Union[CheckIssueStatus, str], _open]
OpenCheckExceptionReason = Annotated[Union[CheckExceptionReason, str], _open]
OpenCheckExceptionStatus = Annotated[Union[CheckExceptionStatus, str], _open]
OpenWebhookEventType = Annotated[Union[WebhookEventType, str], _open]
