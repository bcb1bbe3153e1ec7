"""Request bodies. Each accepts keyword arguments or a plain dict, and checks the contract's
formats on construction, so a bad field fails here with its name, before any network call.

Type checkers accept what the models accept at run time (a money string or float, a date
string, a nested dict), with no plugin; the attributes read back are the precise types.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from typing_extensions import NotRequired, TypedDict

from ._base import Money, RequestModel
from ._fields import (
    AccountNumber,
    Bic,
    CheckNumber,
    Coerced,
    Currency,
    RequestDate,
    ResourceId,
    RoutingNumber,
)

__all__ = [
    "AchPaymentRequest",
    "BeneficiaryDetails",
    "BeneficiaryDetailsDict",
    "CheckIssueRequest",
    "RecipientDetails",
    "RecipientDetailsDict",
    "TransferRequest",
    "WirePaymentRequest",
]


class RecipientDetailsDict(TypedDict):
    """``recipient_details`` as a plain dict: type checkers still catch a misspelt key."""

    name: str
    routing_number: str
    account_number: str
    account_type: Literal["checking", "savings"]


class BeneficiaryDetailsDict(TypedDict):
    """``beneficiary`` as a plain dict: type checkers still catch a misspelt key."""

    name: str
    account_number: str
    routing_number: NotRequired[str | None]
    bic: NotRequired[str | None]
    bank_name: NotRequired[str | None]
    address: NotRequired[str | None]


def _text(max_length: int) -> object:
    return StringConstraints(strict=True, min_length=1, max_length=max_length)


class RecipientDetails(RequestModel):
    """The receiver of an ACH entry.

    Example::

        RecipientDetails(name="Acme Supplies", routing_number="021000021",
                         account_number="123456789", account_type="checking")
    """

    name: Annotated[str, _text(22)]
    """Receiver name as it appears on the ACH entry (at most 22 characters)."""
    routing_number: RoutingNumber
    account_number: AccountNumber
    account_type: Literal["checking", "savings"]


class AchPaymentRequest(RequestModel):
    """One ACH payment. Settles in the next 15-minute batch.

    Example::

        AchPaymentRequest(
            source_account_id="acc_8f2k19",
            recipient_details={"name": "Acme Supplies", "routing_number": "021000021",
                               "account_number": "123456789", "account_type": "checking"},
            amount="1000.50",
            effective_date="2026-11-23",
        )
    """

    source_account_id: ResourceId
    recipient_details: Coerced[RecipientDetails, RecipientDetails | RecipientDetailsDict]
    amount: Money
    currency: Literal["USD"] | None = None
    direction: Literal["credit", "debit"] | None = None
    """``credit`` pays the recipient (the API's default); ``debit`` collects from it."""
    effective_date: RequestDate
    """Requested settlement date; a past date settles in the next available batch."""
    sec_code: Literal["CCD", "PPD", "WEB", "TEL"] | None = None
    memo: Annotated[str, _text(80)] | None = None


class BeneficiaryDetails(RequestModel):
    """The receiver of a wire: ``routing_number`` for domestic wires, ``bic`` for international."""

    name: Annotated[str, _text(140)]
    account_number: Annotated[str, _text(34)]
    """Account number or IBAN."""
    routing_number: RoutingNumber | None = None
    bic: Bic | None = None
    bank_name: Annotated[str, _text(140)] | None = None
    address: Annotated[str, _text(140)] | None = None


class WirePaymentRequest(RequestModel):
    """One wire, sent in real time.

    Example::

        WirePaymentRequest(source_account_id="acc_8f2k19", amount="25000.00",
                           beneficiary={"name": "Globex GmbH", "account_number": "DE89370400440532013000",
                                        "bic": "COBADEFFXXX"})
    """

    source_account_id: ResourceId
    beneficiary: Coerced[BeneficiaryDetails, BeneficiaryDetails | BeneficiaryDetailsDict]
    amount: Money
    currency: Currency | None = None
    purpose: Annotated[str, _text(140)] | None = None


class TransferRequest(RequestModel):
    """A real-time move of funds between two of the client's accounts (two different ones).

    Example::

        TransferRequest(source_account_id="acc_operating", destination_account_id="acc_payroll",
                        amount="2500.00")
    """

    source_account_id: ResourceId
    destination_account_id: ResourceId
    amount: Money
    currency: Currency | None = None
    memo: Annotated[str, _text(80)] | None = None

    @field_validator("destination_account_id")
    @classmethod
    def _differs_from_source(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("source_account_id"):
            raise ValueError("must differ from source_account_id")
        return value


class CheckIssueRequest(RequestModel):
    """An issued (or, with ``void=True``, voided) check, registered for Positive Pay matching."""

    account_id: ResourceId
    check_number: CheckNumber
    amount: Money
    issue_date: RequestDate
    payee_name: Annotated[str, _text(80)]
    void: bool | None = Field(default=None, strict=True)
