"""The NACHA package's types: what goes into a file, what a parsed file holds, what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ..errors import QBankError
from ._fields import (
    MAX_AMOUNT,
    SEC_CODES,
    account_problem,
    routing_problem,
    text_problem,
)

__all__ = ["Batch", "Entry", "NachaFile", "NachaValidationError", "Originator", "Problem"]

_CENT = Decimal("0.01")
_SHOWN = 5  # problems listed in an exception's message; all of them are in ``.problems``


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a NACHA (or CSV) file.

    ``line`` is the 1-based record (or CSV line) number, 0 for the file as a whole; ``columns``
    is the field's 1-based inclusive column range, ``None`` for a whole record or line.

    Example::

        >>> str(Problem(3, "amount", (30, 39), "must be digits, got '00001O0000'"))
        "line 3, field 'amount' (columns 30-39): must be digits, got '00001O0000'"
    """

    line: int
    field: str
    columns: tuple[int, int] | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, field '{self.field}'" if self.line else f"'{self.field}'"
        if self.columns is not None:
            first, last = self.columns
            where += f" (column {first})" if first == last else f" (columns {first}-{last})"
        return f"{where}: {self.message}"


class NachaValidationError(QBankError, ValueError):
    """A NACHA file (or an entries CSV) that is not valid; ``problems`` lists every problem.

    It is a ``ValueError`` too: it is bad input, found before anything is sent.

    Example::

        try:
            nacha.parse("payroll.ach")
        except nacha.NachaValidationError as e:
            for problem in e.problems:
                print(problem)
    """

    def __init__(self, problems: Sequence[Problem], *, what: str = "NACHA file") -> None:
        self.problems = list(problems)
        self.what = what
        count = len(self.problems)
        shown = "; ".join(str(p) for p in self.problems[:_SHOWN])
        more = f"; and {count - _SHOWN} more" if count > _SHOWN else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"not a valid {what} ({count} {noun}): {shown}{more}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.problems, self.what))


def _rebuild_error(problems: list[Problem], what: str) -> NachaValidationError:
    return NachaValidationError(problems, what=what)


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _amount(value: object) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f"amount must be a Decimal (or a string like '10.50'), not {value!r}")
    if not isinstance(value, (Decimal, int, str)):
        raise ValueError(f"amount must be a Decimal, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"amount must be a number like '10.50', got {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"amount must be more than zero, got {value!r}")
    if amount != amount.quantize(_CENT, rounding="ROUND_DOWN"):
        raise ValueError(f"amount must have at most 2 decimal places, got {value!r}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"amount must be at most {MAX_AMOUNT} (10 digits of cents), got {value!r}")
    return amount.quantize(_CENT)


def _check_text(name: str, value: object, max_length: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    problem = text_problem(value, max_length, required=required)
    if problem:
        raise ValueError(f"{name} {problem}")
    return value


def _check_date(name: str, value: object) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{name} must be a datetime.date, got {value!r}")
    if not 2000 <= value.year <= 2099:
        raise ValueError(f"{name} must be in the years 2000-2099 (YYMMDD), got {value}")


def _check_sec(name: str, value: object) -> None:
    if value not in SEC_CODES or value == "IAT":
        raise ValueError(f"{name} must be a SEC code such as 'PPD', 'CCD' or 'WEB', got {value!r}")


@dataclass(frozen=True)
class Entry:
    """One payment in a NACHA file: an entry detail record (type 6), plus its addenda (type 7).

    ``sec_code`` and ``effective_date`` default to the :class:`Originator`'s; entries that
    differ in them go into separate batches. ``trace_number`` is set on parsed entries only
    and is not compared.

    Example::

        Entry("JANE DOE", "021000021", "000123456", "checking", Decimal("125.00"))
    """

    name: str
    routing_number: str
    account_number: str
    account_type: Literal["checking", "savings"]
    amount: Decimal
    direction: Literal["credit", "debit"] = "credit"
    individual_id: str = ""
    sec_code: str | None = None
    effective_date: date | None = None
    addenda: tuple[str, ...] = ()
    """Payment-related information (80 characters at most each), one addenda record each."""
    trace_number: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _set(self, "name", _check_text("name", self.name, 22, required=True).strip())
        if not isinstance(self.routing_number, str):
            raise ValueError("routing_number must be a string of 9 digits")
        problem = routing_problem(self.routing_number)
        if problem:
            raise ValueError(f"routing_number {problem}")
        if not isinstance(self.account_number, str):
            raise ValueError("account_number must be a string of 4 to 17 digits")
        _set(self, "account_number", self.account_number.strip())
        problem = account_problem(self.account_number)
        if problem:
            raise ValueError(f"account_number {problem}")
        if self.account_type not in ("checking", "savings"):
            raise ValueError(
                f"account_type must be 'checking' or 'savings', got {self.account_type!r}"
            )
        _set(self, "amount", _amount(self.amount))
        if self.direction not in ("credit", "debit"):
            raise ValueError(f"direction must be 'credit' or 'debit', got {self.direction!r}")
        ident = _check_text("individual_id", self.individual_id, 15, required=False)
        _set(self, "individual_id", ident.strip())
        if self.sec_code is not None:
            _check_sec("sec_code", self.sec_code)
        if self.effective_date is not None:
            _check_date("effective_date", self.effective_date)
        if isinstance(self.addenda, str) or not isinstance(self.addenda, (tuple, list)):
            raise ValueError("addenda must be a tuple of strings")
        for index, text in enumerate(self.addenda):
            _check_text(f"addenda[{index}]", text, 80, required=False)
        _set(self, "addenda", tuple(text.rstrip() for text in self.addenda))

    @property
    def cents(self) -> int:
        """The amount in cents, as the file carries it."""
        return int(self.amount * 100)


@dataclass(frozen=True, kw_only=True)
class Originator:
    """Who sends the file, and the defaults of its batches.

    ``immediate_destination`` is the routing number of the bank that receives the file (also
    the originating DFI of its batches); ``immediate_origin`` is the 10-character sender id the
    bank gave you (9 digits get a leading blank, as in the record).

    Example::

        Originator(immediate_destination="021000021", immediate_origin="1234567890",
                   destination_name="QBANK", origin_name="ACME CORP", company_name="ACME CORP",
                   company_id="1234567890", effective_date=date(2026, 11, 23))
    """

    immediate_destination: str
    immediate_origin: str
    destination_name: str
    origin_name: str
    company_name: str
    company_id: str
    sec_code: str = "PPD"
    company_entry_description: str = "PAYMENT"
    effective_date: date

    def __post_init__(self) -> None:
        if not isinstance(self.immediate_destination, str):
            raise ValueError("immediate_destination must be a string of 9 digits")
        problem = routing_problem(self.immediate_destination)
        if problem:
            raise ValueError(f"immediate_destination {problem}")
        origin = self.immediate_origin
        if isinstance(origin, str) and len(origin) == 9 and origin.isdigit():
            _set(self, "immediate_origin", " " + origin)
        elif not isinstance(origin, str) or len(origin) != 10 or text_problem(origin, 10):
            raise ValueError(
                f"immediate_origin must be 10 characters (or 9 digits), got {origin!r}"
            )
        _check_text("destination_name", self.destination_name, 23, required=False)
        _check_text("origin_name", self.origin_name, 23, required=False)
        _check_text("company_name", self.company_name, 16, required=True)
        _check_text("company_id", self.company_id, 10, required=True)
        _check_sec("sec_code", self.sec_code)
        _check_text("company_entry_description", self.company_entry_description, 10, required=True)
        _check_date("effective_date", self.effective_date)


@dataclass(frozen=True)
class Batch:
    """One parsed batch: its header's fields, its entries and its control totals.

    Example::

        for batch in nacha.parse("payroll.ach").batches:
            print(batch.batch_number, batch.sec_code, batch.total_credit)
    """

    batch_number: int
    service_class_code: str
    company_name: str
    company_id: str
    sec_code: str
    company_entry_description: str
    effective_date: date
    originating_dfi: str
    entries: tuple[Entry, ...]
    entry_addenda_count: int
    entry_hash: int
    total_debit: Decimal
    total_credit: Decimal


@dataclass(frozen=True)
class NachaFile:
    """A parsed, valid NACHA file: its header fields, batches and file control totals.

    Example::

        parsed = nacha.parse("payroll.ach")
        print(parsed.total_credit, len(parsed.entries))
    """

    immediate_destination: str
    immediate_origin: str
    destination_name: str
    origin_name: str
    created_at: datetime
    file_id_modifier: str
    reference_code: str
    batches: tuple[Batch, ...]
    block_count: int
    entry_addenda_count: int
    entry_hash: int
    total_debit: Decimal
    total_credit: Decimal

    @property
    def entries(self) -> list[Entry]:
        """Every entry of every batch, in file order."""
        return [entry for batch in self.batches for entry in batch.entries]
