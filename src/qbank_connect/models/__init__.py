"""Typed models for every schema of the QBank Connect contract."""

from ._base import (
    AMOUNT_PATTERN,
    Amount,
    AuditedResource,
    Money,
    RequestModel,
    ResponseModel,
    ResponseMoney,
    SignedMoney,
)
from ._enums import (
    AccountStatus,
    AccountType,
    AchFileStatus,
    CheckExceptionReason,
    CheckExceptionStatus,
    CheckIssueStatus,
    PaymentStatus,
    PaymentType,
    TransactionDirection,
    WebhookEventType,
)
from ._fields import Currency, is_valid_routing_number
from .errors import ErrorDetail, ErrorResponse, IdempotencyConflictProblem, OAuthErrorResponse
from .pages import AccountList, CheckExceptionList, PaymentList, TransactionList
from .requests import (
    AchPaymentRequest,
    BeneficiaryDetails,
    BeneficiaryDetailsDict,
    CheckIssueRequest,
    RecipientDetails,
    RecipientDetailsDict,
    TransferRequest,
    WirePaymentRequest,
)
from .resources import (
    Account,
    AchFile,
    Balance,
    CheckException,
    CheckIssue,
    Counterparty,
    Payment,
    PaymentEventData,
    StatusChange,
    TokenResponse,
    Transaction,
    WebhookEvent,
)

AuditFields = AuditedResource
"""The contract's name for the audit fields every auditable resource carries."""
IdempotencyConflict = IdempotencyConflictProblem
"""The contract's name for the 409 problem body (the exception is ``QBankIdempotencyConflict``)."""
OAuthError = OAuthErrorResponse
"""The contract's name for a ``POST /token`` error body."""

__all__ = [
    "AMOUNT_PATTERN",
    "Amount",
    "Account",
    "AccountList",
    "AccountStatus",
    "AccountType",
    "AchFile",
    "AchFileStatus",
    "AchPaymentRequest",
    "AuditFields",
    "AuditedResource",
    "Balance",
    "BeneficiaryDetails",
    "BeneficiaryDetailsDict",
    "CheckException",
    "CheckExceptionList",
    "CheckExceptionReason",
    "CheckExceptionStatus",
    "CheckIssue",
    "CheckIssueRequest",
    "CheckIssueStatus",
    "Currency",
    "Counterparty",
    "ErrorDetail",
    "ErrorResponse",
    "IdempotencyConflict",
    "IdempotencyConflictProblem",
    "Money",
    "OAuthError",
    "OAuthErrorResponse",
    "Payment",
    "PaymentEventData",
    "PaymentList",
    "PaymentStatus",
    "PaymentType",
    "RecipientDetails",
    "RecipientDetailsDict",
    "RequestModel",
    "ResponseModel",
    "ResponseMoney",
    "SignedMoney",
    "StatusChange",
    "TokenResponse",
    "Transaction",
    "TransactionDirection",
    "TransactionList",
    "TransferRequest",
    "WebhookEvent",
    "WebhookEventType",
    "WirePaymentRequest",
    "is_valid_routing_number",
]
