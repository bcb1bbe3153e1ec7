"""Request validation per the spec's schemas, producing ``ERR_VAL_001`` details.

Each ``validate_*`` function takes the parsed JSON body and returns the list of problems
(``{"field": ..., "issue": ...}``); an empty list means the body is valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._clock import parse_date
from ._http import Detail

__all__ = [
    "Detail",
    "aba_check_digit_ok",
    "validate_ach_payment",
    "validate_check_issue",
    "validate_limit",
    "validate_transfer",
    "validate_wire_payment",
]

MONEY_RE = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
# The spec's ``Amount``: > 0, at most 15 integer digits and 2 decimals, no leading zeros.
AMOUNT_RE = re.compile(r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,14}(\.[0-9]{1,2})?)$")
_MAX_MONEY_DIGITS = 15  # integer part; keeps amounts sane for a core banking system
ROUTING_RE = re.compile(r"^[0-9]{9}$")
ACH_ACCOUNT_RE = re.compile(r"^[0-9]{4,17}$")
BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CHECK_NUMBER_RE = re.compile(r"^[0-9]{1,15}$")


def aba_check_digit_ok(routing: str) -> bool:
    """True when a 9-digit ABA routing number has a valid check digit (3-7-1 weights)."""
    if not ROUTING_RE.fullmatch(routing):
        return False
    digits = [int(c) for c in routing]
    total = sum(d * w for d, w in zip(digits, (3, 7, 1) * 3, strict=True))
    return total % 10 == 0


class _Checker:
    """Collects problems while walking one JSON object."""

    def __init__(self, body: Any, prefix: str = "") -> None:
        self.details: list[Detail] = []
        self.body: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
        self.prefix = prefix
        if not isinstance(body, Mapping):
            self.add("", "must be a JSON object")

    def add(self, name: str, issue: str) -> None:
        field = f"{self.prefix}{name}" if name else (self.prefix.rstrip(".") or "body")
        self.details.append({"field": field, "issue": issue})

    def _get(self, name: str, required: bool) -> tuple[bool, Any]:
        if name not in self.body:
            if required:
                self.add(name, "is required")
            return False, None
        value = self.body[name]
        if value is None:
            self.add(name, "must not be null (omit optional fields instead)")
            return False, None
        return True, value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        pattern: re.Pattern[str] | None = None,
        pattern_issue: str = "has an invalid format",
        enum: tuple[str, ...] | None = None,
    ) -> str | None:
        present, value = self._get(name, required)
        if not present:
            return None
        if not isinstance(value, str):
            self.add(name, "must be a string")
            return None
        if required and value == "":
            self.add(name, "must not be empty")
            return None
        if max_length is not None and len(value) > max_length:
            self.add(name, f"must be at most {max_length} characters")
            return None
        if pattern is not None and not pattern.fullmatch(value):  # "$" alone allows a "\n"
            self.add(name, pattern_issue)
            return None
        if enum is not None and value not in enum:
            self.add(name, "must be one of " + ", ".join(enum))
            return None
        return value

    def money(self, name: str) -> None:
        value = self.string(
            name,
            required=True,
            pattern=MONEY_RE,
            pattern_issue="must be a decimal string with at most 2 decimal places",
        )
        if value is None:
            raw = self.body.get(name)
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                # Replace the generic message: money is never a JSON number.
                self.details[-1]["issue"] = "must be a decimal string, not a JSON number"
            return
        if AMOUNT_RE.fullmatch(value):
            return
        whole = value.split(".")[0]
        if Decimal(value) == 0:
            self.add(name, "must be greater than 0")
        elif whole.startswith("0") and len(whole) > 1:
            self.add(name, "must not have leading zeros")
        elif len(whole.lstrip("0")) > _MAX_MONEY_DIGITS:
            self.add(name, "is too large")
        else:  # pragma: no cover - the cases above are every way out of the pattern
            self.add(name, "is not a valid amount")

    def date(self, name: str, *, required: bool = False) -> None:
        value = self.string(name, required=required)
        if value is not None and parse_date(value) is None:
            self.add(name, "must be a date (YYYY-MM-DD)")

    def boolean(self, name: str) -> None:
        present, value = self._get(name, False)
        if present and not isinstance(value, bool):
            self.add(name, "must be a boolean")

    def currency(self, name: str) -> None:
        self.string(name, pattern=CURRENCY_RE, pattern_issue="must be a 3-letter ISO 4217 code")

    def obj(self, name: str, *, required: bool = False) -> _Checker | None:
        present, value = self._get(name, required)
        if not present:
            return None
        if not isinstance(value, Mapping):
            self.add(name, "must be an object")
            return None
        return _Checker(value, prefix=f"{self.prefix}{name}.")


def _routing(checker: _Checker, name: str, *, required: bool, check_digit: bool) -> None:
    value = checker.string(
        name, required=required, pattern=ROUTING_RE, pattern_issue="must be 9 digits"
    )
    if value is not None and check_digit and not aba_check_digit_ok(value):
        checker.add(name, "has an invalid ABA check digit")


def validate_ach_payment(body: Any) -> list[Detail]:
    """``AchPaymentRequest``."""
    c = _Checker(body)
    c.string("source_account_id", required=True)
    recipient = c.obj("recipient_details", required=True)
    if recipient is not None:
        recipient.string("name", required=True, max_length=22)
        _routing(recipient, "routing_number", required=True, check_digit=True)
        recipient.string(
            "account_number",
            required=True,
            pattern=ACH_ACCOUNT_RE,
            pattern_issue="must be 4 to 17 digits",
        )
        recipient.string("account_type", required=True, enum=("checking", "savings"))
        c.details.extend(recipient.details)
    c.money("amount")
    c.string("currency", enum=("USD",))
    c.string("direction", enum=("credit", "debit"))
    c.date("effective_date", required=True)
    c.string("sec_code", enum=("CCD", "PPD", "WEB", "TEL"))
    c.string("memo", max_length=80)
    return c.details


def validate_wire_payment(body: Any) -> list[Detail]:
    """``WirePaymentRequest``."""
    c = _Checker(body)
    c.string("source_account_id", required=True)
    beneficiary = c.obj("beneficiary", required=True)
    if beneficiary is not None:
        beneficiary.string("name", required=True, max_length=140)
        beneficiary.string("account_number", required=True, max_length=34)
        _routing(beneficiary, "routing_number", required=False, check_digit=False)
        beneficiary.string("bic", pattern=BIC_RE, pattern_issue="must be an 8 or 11 character BIC")
        beneficiary.string("bank_name")
        beneficiary.string("address", max_length=140)
        if "routing_number" not in beneficiary.body and "bic" not in beneficiary.body:
            beneficiary.add("", "needs routing_number (domestic) or bic (international)")
        c.details.extend(beneficiary.details)
    c.money("amount")
    c.currency("currency")
    c.string("purpose", max_length=140)
    return c.details


def validate_transfer(body: Any) -> list[Detail]:
    """``TransferRequest``."""
    c = _Checker(body)
    source = c.string("source_account_id", required=True)
    destination = c.string("destination_account_id", required=True)
    c.money("amount")
    c.currency("currency")
    c.string("memo", max_length=80)
    if source is not None and source == destination:
        c.add("destination_account_id", "must differ from source_account_id")
    return c.details


def validate_check_issue(body: Any) -> list[Detail]:
    """``CheckIssueRequest``."""
    c = _Checker(body)
    c.string("account_id", required=True)
    c.string(
        "check_number",
        required=True,
        pattern=CHECK_NUMBER_RE,
        pattern_issue="must be 1 to 15 digits",
    )
    c.money("amount")
    c.date("issue_date", required=True)
    c.string("payee_name", required=True, max_length=80)
    c.boolean("void")
    return c.details


def validate_limit(raw: str | None) -> tuple[int, list[Detail]]:
    """The ``limit`` query parameter: 1..100, default 25."""
    if raw is None:
        return 25, []
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= 100:
        return 25, [{"field": "limit", "issue": "must be an integer from 1 to 100"}]
    return int(raw), []
