"""One record being checked: its fields read by name, each checked against the layout table.

:class:`Record` is a record's text and the fields found unreadable (already reported, so later
checks skip them); :class:`Problems` reports a problem and remembers that there was one;
:func:`check_fields` checks every field's value against what its kind of field accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from ._fields import LAYOUTS, Field, aba_digit
from ._model import Problem

__all__ = [
    "CALENDAR",
    "FIELDS",
    "Problems",
    "Record",
    "aba_message",
    "from_cents",
    "check_fields",
    "show",
    "yymmdd",
]

FIELDS = {kind: {f.name: f for f in layout} for kind, layout in LAYOUTS.items()}
_SPANS = {kind: {f.name: (f.first - 1, f.last) for f in layout} for kind, layout in LAYOUTS.items()}
CALENDAR = {
    kind: tuple(f for f in layout if f.kind in ("date", "time", "julian"))
    for kind, layout in LAYOUTS.items()
    if any(f.kind in ("date", "time", "julian") for f in layout)
}


def from_cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def yymmdd(text: str) -> date | None:
    try:
        return date(2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def show(value: str) -> str:
    return repr(value)


def aba_message(routing: str) -> str:
    return (
        f"has a wrong ABA check digit: routing number {routing[:8]}_ needs "
        f"{aba_digit(routing[:8])}, not {routing[8]}"
    )


class Record:
    """One record's text and which of its fields are unreadable (already reported)."""

    __slots__ = ("bad", "fields", "line", "spans", "text")

    def __init__(self, line: int, text: str, kind: str, bad: set[str]) -> None:
        self.line = line
        self.text = text
        self.fields = FIELDS[kind]
        self.spans = _SPANS[kind]
        self.bad = bad

    def get(self, name: str) -> str | None:
        """The field's text, or ``None`` when it is unreadable."""
        if self.bad and name in self.bad:
            return None
        start, end = self.spans[name]
        return self.text[start:end]


class Problems:
    """Hands each problem to ``report``; ``failed`` once there has been one."""

    __slots__ = ("_report", "failed")

    def __init__(self, report: Callable[[Problem], None]) -> None:
        self._report = report
        self.failed = False

    def add(self, line: int, name: str, columns: tuple[int, int] | None, message: str) -> None:
        self.failed = True
        self._report(Problem(line, name, columns, message))

    def bad(self, record: Record, name: str, message: str) -> None:
        """Report a problem of the field ``name`` and mark the field unreadable."""
        record.bad.add(name)
        self.add(record.line, name, record.fields[name].columns, message)


def check_fields(problems: Problems, record: Record, layout: tuple[Field, ...]) -> None:
    """Check the value of each field of ``layout`` in ``record`` against its kind of field."""
    for item in layout:
        value = record.text[item.first - 1 : item.last]
        problem = _FIELD_CHECKS[item.kind](value, item)
        if problem:
            problems.bad(record, item.name, problem)


def _numeric(value: str, item: Field) -> str | None:
    return None if value.isascii() and value.isdigit() else f"must be digits, got {show(value)}"


def _const(value: str, item: Field) -> str | None:
    return None if value == item.value else f"must be {item.value!r}, got {show(value)}"


def _blank(value: str, item: Field) -> str | None:
    return None if not value.strip(" ") else f"is reserved and must be blank, got {show(value)}"


def _text(value: str, item: Field) -> str | None:
    if value.isascii() and value.isprintable():
        return None
    return f"must be printable ASCII characters, got {show(value)}"


def _required_any(value: str, item: Field) -> str | None:
    if not value.strip(" "):
        return "is required (it is blank)"
    return _text(value, item)


def _required(value: str, item: Field) -> str | None:
    if value.startswith(" ") and value.strip(" "):
        return f"must be left-justified (it starts with a blank), got {show(value)}"
    return _required_any(value, item)


def _date(value: str, item: Field) -> str | None:
    if value.isascii() and value.isdigit() and yymmdd(value):
        return None
    return f"must be a date as YYMMDD, got {show(value)}"


def _time(value: str, item: Field) -> str | None:
    if value == "    ":
        return None
    if value.isascii() and value.isdigit() and int(value[:2]) < 24 and int(value[2:]) < 60:
        return None
    return f"must be a time as HHMM (or blank), got {show(value)}"


def _julian(value: str, item: Field) -> str | None:
    if value == "   " or (value.isascii() and value.isdigit() and 1 <= int(value) <= 366):
        return None
    return f"must be a day of the year 001-366 (or blank), got {show(value)}"


def _modifier(value: str, item: Field) -> str | None:
    if value.isascii() and value.isalnum() and not value.islower():
        return None
    return f"must be a capital letter A-Z or a digit, got {show(value)}"


_FIELD_CHECKS: dict[str, Callable[[str, Field], str | None]] = {
    "numeric": _numeric,
    "const": _const,
    "blank": _blank,
    "text": _text,
    "required": _required,
    "required_any": _required_any,
    "date": _date,
    "time": _time,
    "julian": _julian,
    "modifier": _modifier,
}
