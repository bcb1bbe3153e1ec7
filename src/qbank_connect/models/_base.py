"""Building blocks shared by every model: money, open enumerations, base classes."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from ._fields import Coerced

__all__ = [
    "AMOUNT_PATTERN",
    "Amount",
    "AuditedResource",
    "Money",
    "RequestModel",
    "ResponseModel",
    "SignedMoney",
]

_CENT = Decimal("0.01")
# Wide enough that quantizing any amount the API can send never overflows the default 28 digits.
_WIDE = Context(prec=100)
_MAX_REQUEST_AMOUNT = Decimal("1e15")
# The contract's ``Amount`` (spec/openapi.yaml): greater than zero, at most 15 integer digits,
# at most 2 decimals, no leading zeros. A string amount is sent as written, so it must be one.
AMOUNT_PATTERN = r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,14}(\.[0-9]{1,2})?)$"
_AMOUNT = re.compile(AMOUNT_PATTERN)
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _amount_text(text: str) -> Decimal:
    """A string amount: one the contract's ``Amount`` allows, or a ValueError saying why not."""
    if _AMOUNT.fullmatch(text):
        return Decimal(text)
    if not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError("must be a decimal string such as '1000.50' (digits, '.', 2 decimals)")
    whole, _, decimals = text.lstrip("-").partition(".")
    if text.startswith("-") or Decimal(text) == 0:
        raise ValueError("must be greater than 0")
    if len(decimals) > 2:
        raise ValueError("must have at most 2 decimal places")
    if whole.startswith("0") and len(whole) > 1:
        raise ValueError(f"must not have leading zeros (write {Decimal(text)})")
    raise ValueError("is too large (at most 15 digits before the decimal point)")


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("must be a decimal amount, not a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite amount")
        # repr() gives the shortest string that round-trips, so 1000.5 stays 1000.5.
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 1000:
            raise ValueError("must be a decimal string such as '1000.50'")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError("must be a decimal string such as '1000.50'") from None
    else:
        raise ValueError(f"must be a Decimal, str, int or float, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError("must be a finite amount")
    return result


def _two_places(value: Decimal) -> Decimal:
    if value.adjusted() >= 60:
        raise ValueError("is too large")
    cents = value.quantize(_CENT, context=_WIDE)
    if cents != value:
        raise ValueError("must have at most 2 decimal places")
    return cents


def _request_amount(value: Any) -> Decimal:
    amount = _amount_text(value) if isinstance(value, str) else _to_decimal(value)
    if amount <= 0:
        raise ValueError("must be greater than 0")
    if amount >= _MAX_REQUEST_AMOUNT:
        raise ValueError("is too large")
    return _two_places(amount)


def _response_amount(value: Any) -> Decimal:
    # The wire carries money as strings; a JSON number is a contract breach, not a value to guess at.
    if isinstance(value, float):
        raise ValueError("money must be a decimal string, not a JSON number")
    return _to_decimal(value)


def _money_to_wire(value: Decimal) -> str:
    if value.adjusted() >= 60:  # far beyond any real amount: keep every digit rather than fail
        return f"{value:f}"
    return f"{value.quantize(_CENT, context=_WIDE):f}"


Money = Coerced[
    Annotated[
        Decimal,
        BeforeValidator(_request_amount),
        PlainSerializer(_money_to_wire, return_type=str, when_used="always"),
    ],
    Decimal | int | float | str,
]
"""An amount sent to the API (the contract's ``Amount``): > 0, at most two decimals and 15
digits before the point, sent as a string like ``"1000.50"``.

Given as a ``Decimal``, an ``int``, a string the contract allows (``"1000.5"``, not ``"01000.50"``
or ``"1e3"``) or, for convenience, a float (``1000.50`` becomes ``Decimal("1000.50")``); always a
``Decimal`` once validated."""

Amount = Money
"""The contract's name for a request amount (``components.schemas.Amount``): :data:`Money`."""

ResponseMoney = Annotated[
    Decimal,
    BeforeValidator(_response_amount),
    PlainSerializer(_money_to_wire, return_type=str, when_used="always"),
]
"""An amount received from the API (never negative by contract, but kept as given)."""

SignedMoney = ResponseMoney
"""A balance, which may be negative."""


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are a typo, so they are rejected before sending.

    Validation errors name the field and the problem but never echo the value: a request
    carries bank account numbers, and error texts end up in logs and tracebacks."""

    model_config = ConfigDict(
        extra="forbid",
        hide_input_in_errors=True,
        str_strip_whitespace=False,
        validate_assignment=True,
        frozen=False,
        defer_build=True,
    )

    def to_wire(self) -> bytes:
        """The JSON body QBank expects: unset optional fields are omitted, never sent as null."""
        return self.model_dump_json(exclude_none=True).encode()


class ResponseModel(BaseModel):
    """Base of everything the API returns: fields the SDK does not know yet are kept, not fatal."""

    # Validators are built on a model's first use, not at import: most programs touch a few models.
    model_config = ConfigDict(extra="allow", frozen=False, defer_build=True)


class AuditedResource(ResponseModel):
    """Fields every auditable resource carries (SOX audit trail, PCI DSS traceability)."""

    timestamp: datetime
    """When the record was made, UTC, millisecond precision."""
    actor: str
    """The client id that initiated the request."""
    request_id: str
    """End-to-end trace id of the request that produced this record."""
