"""The record layouts of a NACHA file, one table, and the checks of single values.

Columns are 1-based and inclusive, as the NACHA Operating Rules print them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ..models._fields import is_valid_routing_number

__all__ = [
    "LAYOUTS",
    "MAX_AMOUNT",
    "RECORD_LENGTH",
    "SEC_CODES",
    "TRANSACTION_CODES",
    "Field",
    "account_problem",
    "aba_ok",
    "routing_problem",
    "text_problem",
]

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
MAX_AMOUNT = Decimal("99999999.99")

# The SEC codes of the NACHA Operating Rules. IAT batches have other layouts: not supported.
SEC_CODES = frozenset(
    [
        "ACK",
        "ARC",
        "ATX",
        "BOC",
        "CCD",
        "CIE",
        "COR",
        "CTX",
        "DNE",
        "ENR",
        "IAT",
        "MTE",
        "POP",
        "POS",
        "PPD",
        "RCK",
        "SHR",
        "TEL",
        "TRC",
        "TRX",
        "WEB",
        "XCK",
    ]
)

# The live credits and debits QBank turns into payments: code -> (direction, account type).
TRANSACTION_CODES = {
    "22": ("credit", "checking"),
    "27": ("debit", "checking"),
    "32": ("credit", "savings"),
    "37": ("debit", "savings"),
}

SERVICE_CLASS_CODES = {"200": "mixed", "220": "credits only", "225": "debits only"}


@dataclass(frozen=True)
class Field:
    """One field of a record: ``kind`` says what it may hold.

    numeric: digits only; const: exactly ``value``; blank: spaces (reserved); text: printable
    ASCII; required: printable ASCII, left-justified, not blank; date: YYMMDD; time: HHMM or
    blank; julian: 3 digits or blank.
    """

    name: str
    first: int
    last: int
    kind: str
    value: str = ""

    @property
    def columns(self) -> tuple[int, int]:
        return (self.first, self.last)


def _layout(*layout: Field) -> tuple[Field, ...]:
    column = 1
    for item in layout:  # the table is checked once, at import: no gap, no overlap
        assert item.first == column, item
        column = item.last + 1
    assert column == RECORD_LENGTH + 1, layout
    return layout


LAYOUTS: dict[str, tuple[Field, ...]] = {
    "1": _layout(
        Field("record_type", 1, 1, "const", "1"),
        Field("priority_code", 2, 3, "const", "01"),
        Field("immediate_destination", 4, 13, "text"),
        Field("immediate_origin", 14, 23, "required_any"),
        Field("file_creation_date", 24, 29, "date"),
        Field("file_creation_time", 30, 33, "time"),
        Field("file_id_modifier", 34, 34, "modifier"),
        Field("record_size", 35, 37, "const", "094"),
        Field("blocking_factor", 38, 39, "const", "10"),
        Field("format_code", 40, 40, "const", "1"),
        Field("destination_name", 41, 63, "text"),
        Field("origin_name", 64, 86, "text"),
        Field("reference_code", 87, 94, "text"),
    ),
    "5": _layout(
        Field("record_type", 1, 1, "const", "5"),
        Field("service_class_code", 2, 4, "numeric"),
        Field("company_name", 5, 20, "required"),
        Field("company_discretionary_data", 21, 40, "text"),
        Field("company_id", 41, 50, "required_any"),
        Field("sec_code", 51, 53, "text"),
        Field("company_entry_description", 54, 63, "required"),
        Field("company_descriptive_date", 64, 69, "text"),
        Field("effective_date", 70, 75, "date"),
        Field("settlement_date", 76, 78, "julian"),
        Field("originator_status_code", 79, 79, "numeric"),
        Field("originating_dfi", 80, 87, "numeric"),
        Field("batch_number", 88, 94, "numeric"),
    ),
    "6": _layout(
        Field("record_type", 1, 1, "const", "6"),
        Field("transaction_code", 2, 3, "numeric"),
        Field("routing_number", 4, 12, "numeric"),
        Field("account_number", 13, 29, "text"),
        Field("amount", 30, 39, "numeric"),
        Field("individual_id", 40, 54, "text"),
        Field("name", 55, 76, "required"),
        Field("discretionary_data", 77, 78, "text"),
        Field("addenda_indicator", 79, 79, "numeric"),
        Field("trace_number", 80, 94, "numeric"),
    ),
    "7": _layout(
        Field("record_type", 1, 1, "const", "7"),
        Field("addenda_type_code", 2, 3, "const", "05"),
        Field("payment_related_information", 4, 83, "text"),
        Field("addenda_sequence_number", 84, 87, "numeric"),
        Field("entry_detail_sequence_number", 88, 94, "numeric"),
    ),
    "8": _layout(
        Field("record_type", 1, 1, "const", "8"),
        Field("service_class_code", 2, 4, "numeric"),
        Field("entry_addenda_count", 5, 10, "numeric"),
        Field("entry_hash", 11, 20, "numeric"),
        Field("total_debit", 21, 32, "numeric"),
        Field("total_credit", 33, 44, "numeric"),
        Field("company_id", 45, 54, "required_any"),
        Field("message_authentication_code", 55, 73, "text"),
        Field("reserved", 74, 79, "blank"),
        Field("originating_dfi", 80, 87, "numeric"),
        Field("batch_number", 88, 94, "numeric"),
    ),
    "9": _layout(
        Field("record_type", 1, 1, "const", "9"),
        Field("batch_count", 2, 7, "numeric"),
        Field("block_count", 8, 13, "numeric"),
        Field("entry_addenda_count", 14, 21, "numeric"),
        Field("entry_hash", 22, 31, "numeric"),
        Field("total_debit", 32, 43, "numeric"),
        Field("total_credit", 44, 55, "numeric"),
        Field("reserved", 56, 94, "blank"),
    ),
}

RECORD_NAMES = {
    "1": "file header",
    "5": "batch header",
    "6": "entry detail",
    "7": "addenda",
    "8": "batch control",
    "9": "file control",
}


def _pattern(item: Field) -> str:
    width = item.last - item.first + 1
    return {
        "numeric": f"[0-9]{{{width}}}",
        "const": re.escape(item.value),
        "blank": f" {{{width}}}",
        "text": f"[ -~]{{{width}}}",
        "required": f"[!-~][ -~]{{{width - 1}}}",
        "required_any": f"(?! {{{width}}})[ -~]{{{width}}}",
        "date": "[0-9]{6}",
        "time": "(?:[0-9]{4}| {4})",
        "julian": "(?:[0-9]{3}| {3})",
        "modifier": "[A-Z0-9]",
    }[item.kind]


FAST = {kind: re.compile("".join(_pattern(f) for f in layout)) for kind, layout in LAYOUTS.items()}
"""Per record type, a pattern that every field of a well-formed record matches: the fast path."""


@lru_cache(maxsize=8192)
def aba_ok(routing: str) -> bool:
    """The ABA check digit of a 9-digit routing number is right (cached: files repeat banks)."""
    return is_valid_routing_number(routing)


def routing_problem(value: str) -> str | None:
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return f"must be 9 digits, got {value!r}"
    if not aba_ok(value):
        return (
            f"has a wrong ABA check digit: {value[:8]} needs {aba_digit(value[:8])}, not {value[8]}"
        )
    return None


def aba_digit(first8: str) -> int:
    total = sum(int(d) * w for d, w in zip(first8, (3, 7, 1, 3, 7, 1, 3, 7), strict=True))
    return (10 - total % 10) % 10


def account_problem(value: str) -> str | None:
    if not (4 <= len(value) <= 17 and value.isascii() and value.isdigit()):
        return f"must be 4 to 17 digits, got {value!r}"
    return None


def text_problem(value: str, max_length: int, *, required: bool = False) -> str | None:
    if required and not value.strip():
        return "is required"
    if len(value) > max_length:
        return f"must be at most {max_length} characters, got {len(value)}"
    if not (value.isascii() and value.isprintable()):
        return f"must be printable ASCII characters, got {value!r}"
    return None
