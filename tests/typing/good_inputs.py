"""Every input the request models accept at run time type-checks, and reads back precisely."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from typing_extensions import assert_type

from qbank_connect.models import (
    AchPaymentRequest,
    BeneficiaryDetails,
    CheckIssueRequest,
    RecipientDetails,
    RecipientDetailsDict,
    TransferRequest,
    WirePaymentRequest,
)

recipient: RecipientDetailsDict = {
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "account_number": "123456789",
    "account_type": "checking",
}

ach = AchPaymentRequest(
    source_account_id="acc_operating",
    recipient_details=recipient,
    amount=1000.50,
    effective_date="2025-10-31",
)
assert_type(ach.amount, Decimal)
assert_type(ach.effective_date, date)
assert_type(ach.recipient_details, RecipientDetails)
assert_type(ach.recipient_details.account_number, str)

AchPaymentRequest(
    source_account_id="acc_operating",
    recipient_details=RecipientDetails(**recipient),
    amount="1000.50",
    effective_date=date(2025, 10, 31),
    currency="USD",
    direction="debit",
    sec_code="PPD",
    memo="Invoice INV-1001",
)
AchPaymentRequest(
    source_account_id="acc_operating",
    recipient_details={
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "savings",
    },
    amount=Decimal("1000.50"),
    effective_date="2025-10-31",
)
ach.amount = "12.34"  # validate_assignment: the same inputs as the constructor
ach.amount = 7

wire = WirePaymentRequest(
    source_account_id="acc_operating",
    amount=25000,
    currency="USD",
    beneficiary={"name": "Globex GmbH", "account_number": "DE89370400440532013000", "bic": None},
)
assert_type(wire.beneficiary, BeneficiaryDetails)
assert_type(wire.beneficiary.bic, "str | None")
WirePaymentRequest(
    source_account_id="acc_operating",
    amount="25000.00",
    beneficiary=BeneficiaryDetails(
        name="Globex GmbH",
        account_number="DE89370400440532013000",
        routing_number="021000021",
        bank_name="Commerzbank",
        address="Frankfurt am Main",
    ),
    purpose="Supplier prepayment",
)

transfer = TransferRequest(
    source_account_id="acc_operating", destination_account_id="acc_payroll", amount="5000.00"
)
assert_type(transfer.amount, Decimal)

check = CheckIssueRequest(
    account_id="acc_operating",
    check_number="10042",
    amount=1250,
    issue_date="2026-11-20",
    payee_name="Acme Supplies",
    void=False,
)
assert_type(check.issue_date, date)
