"""Real mistakes are still caught. Each line ending in an expectation must fail, nothing else.

An expectation is a comment ``expect[mypy]`` or ``expect[pyright]``, a colon, then a part of
the message that checker must give on that line.
"""

from __future__ import annotations

from decimal import Decimal

from qbank_connect.models import AchPaymentRequest, RecipientDetails, RecipientDetailsDict

recipient = RecipientDetails(
    name="Acme Supplies",
    routing_number="021000021",
    account_number=123456789,  # expect[mypy]: incompatible type "int"; expected "str" # expect[pyright]: "Literal[123456789]" is not assignable to "str"
    account_type="checking",
)

AchPaymentRequest(
    source_account_id=12345,  # expect[mypy]: incompatible type "int"; expected "str" # expect[pyright]: "Literal[12345]" is not assignable to "str"
    recipient_details=recipient,
    amount="10.00",
    effective_date="2026-11-23",
)
AchPaymentRequest(  # expect[mypy]: Unexpected keyword argument "amout" # expect[pyright]: Argument missing for parameter "amount"
    source_account_id="acc_operating",
    recipient_details=recipient,
    amout="10.00",  # expect[pyright]: No parameter named "amout"
    effective_date="2026-11-23",
)
AchPaymentRequest(
    source_account_id="acc_operating",
    recipient_details={  # expect[mypy]: incompatible type "dict[str, str]"; expected "RecipientDetails | RecipientDetailsDict" # expect[pyright]: "dict[str, str]" is not assignable to "RecipientDetailsDict"
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "acount_number": "123456789",
        "account_type": "checking",
    },
    amount="10.00",
    effective_date="2026-11-23",
)
details: RecipientDetailsDict = {
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "account_number": "123456789",
    "account_type": "chequing",  # expect[mypy]: Incompatible types (expression has type "Literal['chequing']" # expect[pyright]: "Literal['chequing']" is not assignable to type "Literal['checking', 'savings']"
}
AchPaymentRequest(
    source_account_id="acc_operating",
    recipient_details=recipient,
    amount=None,  # expect[mypy]: incompatible type "None" # expect[pyright]: Type "None" is not assignable to type "Decimal | int | float | str"
    effective_date="2026-11-23",
)
AchPaymentRequest(  # expect[mypy]: Missing named argument "effective_date" # expect[pyright]: Argument missing for parameter "effective_date"
    source_account_id="acc_operating", recipient_details=recipient, amount="10.00"
)

request = AchPaymentRequest(
    source_account_id="acc_operating",
    recipient_details=recipient,
    amount="10.00",
    effective_date="2026-11-23",
)
text: str = request.amount  # expect[mypy]: expression has type "Decimal", variable has type "str" # expect[pyright]: "Decimal" is not assignable to "str"
cents: Decimal = request.amount * 100
# The pattern README.md shows: a typed variable makes both checkers name the misspelt key.
named_details: RecipientDetailsDict = {  # expect[mypy]: Extra key "acount_number" for TypedDict "RecipientDetailsDict"
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "acount_number": "123456789",  # expect[pyright]: "acount_number" is an undefined item in type "RecipientDetailsDict"
    "account_type": "checking",
}
