"""The validator: one pass over the records, every problem found, memory flat.

:class:`Checker` is fed one record at a time. It checks each field against the layout table,
the record order (file header, batches of header / entries / addenda / control, file control,
padding), the ABA check digits, and the counts, entry hashes and totals of every batch control
and of the file control against what the records really hold. Asked to ``collect``, it also
builds the :class:`~qbank_connect.nacha.NachaFile` (the entries then are in memory, of course).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ._fields import (
    BLOCKING_FACTOR,
    FAST,
    LAYOUTS,
    RECORD_LENGTH,
    RECORD_NAMES,
    SEC_CODES,
    SERVICE_CLASS_CODES,
    TRANSACTION_CODES,
    Field,
    aba_digit,
    aba_ok,
    account_problem,
)
from ._model import Batch, Entry, NachaFile, Problem

__all__ = ["Checker", "Enough", "check_first_record"]

_HASH_MODULUS = 10**10
_PADDING = "9" * RECORD_LENGTH
_FIELDS = {kind: {f.name: f for f in layout} for kind, layout in LAYOUTS.items()}
_SPANS = {kind: {f.name: (f.first - 1, f.last) for f in layout} for kind, layout in LAYOUTS.items()}
_CALENDAR = {
    kind: tuple(f for f in layout if f.kind in ("date", "time", "julian"))
    for kind, layout in LAYOUTS.items()
    if any(f.kind in ("date", "time", "julian") for f in layout)
}


class Enough(Exception):
    """Raised by :meth:`Checker.add` once ``max_problems`` have been found."""


_no_strings: list[str] = []
_no_entries: list[Entry] = []


def _cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _yymmdd(text: str) -> date | None:
    try:
        return date(2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def _show(value: str) -> str:
    return repr(value)


class _Record:
    """One record's text and which of its fields are unreadable (already reported)."""

    __slots__ = ("bad", "fields", "line", "spans", "text")

    def __init__(self, line: int, text: str, kind: str, bad: set[str]) -> None:
        self.line = line
        self.text = text
        self.fields = _FIELDS[kind]
        self.spans = _SPANS[kind]
        self.bad = bad

    def get(self, name: str) -> str | None:
        """The field's text, or ``None`` when it is unreadable."""
        if self.bad and name in self.bad:
            return None
        start, end = self.spans[name]
        return self.text[start:end]


@dataclass
class _Entry:
    """The entry detail being read, until the record after its addenda."""

    line: int
    indicator: str | None
    trace: str | None
    entry: dict[str, object] | None  # Entry's arguments, None when the record had problems
    addenda: list[str] = field(default_factory=lambda: _no_strings[:])


@dataclass
class _Batch:
    line: int
    service_class: str | None
    company_id: str | None
    odfi: str | None
    number: str | None
    sec: str | None
    header: dict[str, object] | None
    entries: list[Entry] = field(default_factory=lambda: _no_entries[:])
    count: int = 0
    hash: int = 0
    debit: int = 0
    credit: int = 0
    damaged: bool = False  # an amount or routing number could not be read: totals unknown
    last_trace: int = -1
    entry: _Entry | None = None


class Checker:
    """Feed it records with :meth:`feed`, then call :meth:`finish`."""

    def __init__(
        self,
        report: Callable[[Problem], None],
        *,
        collect: bool = False,
    ) -> None:
        self._report = report
        self.collect = collect
        self.failed = False
        self.line = 0
        self._records = 0  # records that are not empty lines
        self._blank: tuple[int, int] | None = None  # a run of empty lines: (first line, count)
        self._header: dict[str, object] | None = None
        self._state = "start"  # start -> file <-> batch -> end
        self._batch: _Batch | None = None
        self._batches: list[Batch] = []
        self._batch_count = 0
        self._count = 0
        self._hash = 0
        self._debit = 0
        self._credit = 0
        self._damaged = False
        self._entries = 0
        self._last_batch_number = 0
        self._control_line = 0
        self._control: _Record | None = None
        self._padding = 0
        self.result: NachaFile | None = None
        self._handlers: dict[str, Callable[[_Record], None]] = {
            "1": self._type1,
            "5": self._type5,
            "6": self._type6,
            "7": self._type7,
            "8": self._type8,
            "9": self._type9,
        }

    def add(self, line: int, name: str, columns: tuple[int, int] | None, message: str) -> None:
        self.failed = True
        self._report(Problem(line, name, columns, message))

    def _bad(self, record: _Record, name: str, message: str) -> None:
        record.bad.add(name)
        self.add(record.line, name, record.fields[name].columns, message)

    # -- records ------------------------------------------------------------------------------

    def feed(self, raw: bytes, length: int) -> None:
        self.line += 1
        line = self.line
        if length == 0:
            first, count = self._blank or (line, 0)
            self._blank = (first, count + 1)
            return
        if self._blank is not None:
            first, count = self._blank
            self._blank = None
            where = f"line {first} is" if count == 1 else f"lines {first}-{first + count - 1} are"
            self.add(first, "record", None, f"{where} empty; every record must be 94 characters")
        self._records += 1
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            text = raw.decode("ascii", "replace")
        kind = text[0]
        whole = length == RECORD_LENGTH
        if not whole:
            self.add(
                line,
                "record",
                None,
                f"is {length} characters long; every record must be 94 characters",
            )
        if self._state == "end":
            if text != _PADDING:
                self.add(
                    line,
                    "record_type",
                    (1, 1),
                    f"only all-9 padding records may follow the file control record "
                    f"(line {self._control_line})",
                )
            else:
                self._padding += 1
            return
        if kind == "9" and text == _PADDING:
            self.add(line, "record_type", (1, 1), "a padding record before the file control record")
            return
        layout = _FIELDS.get(kind)
        if layout is None:
            self.add(
                line,
                "record_type",
                (1, 1),
                f"unknown record type {kind!r}; records are of type 1, 5, 6, 7, 8 or 9",
            )
            return
        if line == 1 and kind != "1":
            self.add(
                1,
                "record_type",
                (1, 1),
                f"the first record must be a '1' file header, not a {RECORD_NAMES[kind]} ({kind})",
            )
            self._state = "file"
        record = _Record(line, text, kind, set() if whole else set(layout))
        if whole and not FAST[kind].fullmatch(text):
            self._check_fields(record, LAYOUTS[kind])
        elif (
            whole and kind in _CALENDAR
        ):  # the pattern takes any digits: check the dates themselves
            self._check_fields(record, _CALENDAR[kind])
        self._handlers[kind](record)

    def _check_fields(self, record: _Record, layout: tuple[Field, ...]) -> None:
        for item in layout:
            value = record.text[item.first - 1 : item.last]
            problem = _FIELD_CHECKS[item.kind](value, item)
            if problem:
                self._bad(record, item.name, problem)

    def _type1(self, record: _Record) -> None:
        if self._state != "start":
            self.add(
                record.line,
                "record_type",
                (1, 1),
                "a second file header; only the first record may be a file header",
            )
            return
        self._state = "file"
        destination = record.get("immediate_destination")
        if destination is not None:
            routing = destination[1:]
            if destination[0] != " " or not routing.isdigit():
                self._bad(
                    record,
                    "immediate_destination",
                    f"must be a blank and a 9-digit routing number, got {_show(destination)}",
                )
            elif not aba_ok(routing):
                self._bad(record, "immediate_destination", _aba_message(routing))
        if self.collect:
            created = record.get("file_creation_date")
            time = record.get("file_creation_time")
            day = _yymmdd(created) if created else None
            hour, minute = (int(time[:2]), int(time[2:])) if time and time.strip() else (0, 0)
            self._header = {
                "immediate_destination": (destination or " ")[1:],
                "immediate_origin": record.get("immediate_origin") or "",
                "destination_name": (record.get("destination_name") or "").rstrip(),
                "origin_name": (record.get("origin_name") or "").rstrip(),
                "created_at": datetime(day.year, day.month, day.day, hour, minute) if day else None,
                "file_id_modifier": record.get("file_id_modifier") or "",
                "reference_code": (record.get("reference_code") or "").rstrip(),
            }

    def _type5(self, record: _Record) -> None:
        if self._batch is not None:
            self.add(
                record.line,
                "record_type",
                (1, 1),
                f"a batch header before the batch control (type 8) of the batch at line "
                f"{self._batch.line}",
            )
            self._close_entry(self._batch)
            self._batch = None
        self._state = "batch"
        self._batch_count += 1
        service = record.get("service_class_code")
        if service is not None and service not in SERVICE_CLASS_CODES:
            self._bad(
                record,
                "service_class_code",
                f"must be 200 (credits and debits), 220 (credits only) or 225 (debits only), "
                f"got {_show(service)}",
            )
        sec = record.get("sec_code")
        if sec is not None and (sec not in SEC_CODES or sec == "IAT"):
            message = (
                "IAT (international) batches are not supported"
                if sec == "IAT"
                else f"must be a SEC code such as PPD, CCD or WEB, got {_show(sec)}"
            )
            self._bad(record, "sec_code", message)
        status = record.get("originator_status_code")
        if status is not None and status not in "012":
            self._bad(record, "originator_status_code", f"must be 0, 1 or 2, got {_show(status)}")
        number = record.get("batch_number")
        if number is not None:
            if int(number) <= self._last_batch_number:
                self._bad(
                    record,
                    "batch_number",
                    f"must be greater than the previous batch's ({self._last_batch_number})",
                )
            self._last_batch_number = max(self._last_batch_number, int(number))
        effective = record.get("effective_date")
        header: dict[str, object] | None = None
        if self.collect:
            header = {
                "service_class_code": service,
                "company_name": (record.get("company_name") or "").rstrip(),
                "company_id": (record.get("company_id") or "").strip(),
                "sec_code": record.get("sec_code"),
                "company_entry_description": (
                    record.get("company_entry_description") or ""
                ).rstrip(),
                "effective_date": _yymmdd(effective) if effective else None,
                "originating_dfi": record.get("originating_dfi"),
                "batch_number": int(number) if number is not None else 0,
            }
        self._batch = _Batch(
            line=record.line,
            service_class=record.get("service_class_code"),
            company_id=record.get("company_id"),
            odfi=record.get("originating_dfi"),
            number=record.get("batch_number"),
            sec=record.get("sec_code"),
            header=header,
        )

    def _type6(self, record: _Record) -> None:
        batch = self._batch
        if batch is None:
            self.add(
                record.line,
                "record_type",
                (1, 1),
                "an entry detail outside a batch (no batch header before it)",
            )
            return
        self._close_entry(batch)
        batch.count += 1
        self._entries += 1
        code = record.get("transaction_code")
        kind = TRANSACTION_CODES.get(code) if code is not None else None
        if code is not None and kind is None:
            self._bad(
                record,
                "transaction_code",
                f"must be 22 or 32 (credit to checking or savings) or 27 or 37 (debit), "
                f"got {_show(code)}",
            )
        if kind is not None and batch.service_class in ("220", "225"):
            wanted = "credit" if batch.service_class == "220" else "debit"
            if kind[0] != wanted:
                self._bad(
                    record,
                    "transaction_code",
                    f"is a {kind[0]} in a batch of {SERVICE_CLASS_CODES[batch.service_class]} "
                    f"(service class {batch.service_class}, line {batch.line})",
                )
        routing = record.get("routing_number")
        if routing is None:
            batch.damaged = True
        else:
            batch.hash += int(routing[:8])
            if not aba_ok(routing):
                self._bad(record, "routing_number", _aba_message(routing))
        account = record.get("account_number")
        if account is not None:
            if not account.strip(" "):
                problem: str | None = "is required (it is blank)"
            elif account[0] == " ":
                problem = f"must be left-justified (it starts with a blank), got {_show(account)}"
            else:
                problem = account_problem(account.rstrip(" "))
            if problem:
                self._bad(record, "account_number", problem)
        amount = record.get("amount")
        cents = int(amount) if amount is not None else 0
        if amount is not None and cents == 0:
            self._bad(record, "amount", "must be more than zero (each entry is one payment)")
        if amount is None or kind is None:
            batch.damaged = True
        elif kind[0] == "credit":
            batch.credit += cents
        else:
            batch.debit += cents
        indicator = record.get("addenda_indicator")
        if indicator is not None and indicator not in "01":
            self._bad(record, "addenda_indicator", f"must be 0 or 1, got {_show(indicator)}")
            indicator = None
        trace = record.get("trace_number")
        if trace is not None:
            if batch.odfi is not None and trace[:8] != batch.odfi:
                self._bad(
                    record,
                    "trace_number",
                    f"must start with the batch's originating DFI {batch.odfi}, got {trace}",
                )
            elif int(trace) <= batch.last_trace:
                self._bad(
                    record,
                    "trace_number",
                    f"must be greater than the previous entry's ({batch.last_trace:015d}): "
                    "trace numbers ascend within a batch",
                )
            batch.last_trace = max(batch.last_trace, int(trace))
        arguments: dict[str, object] | None = None
        if self.collect and not record.bad and kind is not None and batch.header is not None:
            arguments = {
                "name": (record.get("name") or "").rstrip(),
                "routing_number": routing,
                "account_number": (account or "").rstrip(),
                "account_type": kind[1],
                "amount": _cents(cents),
                "direction": kind[0],
                "individual_id": (record.get("individual_id") or "").strip(),
                "sec_code": batch.header["sec_code"],
                "effective_date": batch.header["effective_date"],
                "trace_number": trace,
            }
        batch.entry = _Entry(record.line, indicator, trace, arguments)

    def _type7(self, record: _Record) -> None:
        batch = self._batch
        entry = batch.entry if batch is not None else None
        if batch is None or entry is None:
            self.add(
                record.line,
                "record_type",
                (1, 1),
                "an addenda record that does not follow an entry detail",
            )
            if batch is not None:
                batch.count += 1
            return
        batch.count += 1
        if entry.indicator == "0":
            self.add(
                record.line,
                "record_type",
                (1, 1),
                f"an addenda record after an entry (line {entry.line}) whose addenda indicator "
                "(column 79) is 0",
            )
        entry.addenda.append((record.get("payment_related_information") or "").rstrip())
        count = len(entry.addenda)
        if count == 2 and batch.sec != "CTX":
            self.add(
                record.line,
                "record_type",
                (1, 1),
                f"a second addenda record for the entry at line {entry.line}; only CTX entries "
                "may have more than one",
            )
            entry.entry = None
        sequence = record.get("addenda_sequence_number")
        if sequence is not None and int(sequence) != count:
            self._bad(record, "addenda_sequence_number", f"must be {count:04d}, got {sequence}")
        detail = record.get("entry_detail_sequence_number")
        if detail is not None and entry.trace is not None and detail != entry.trace[-7:]:
            self._bad(
                record,
                "entry_detail_sequence_number",
                f"must be {entry.trace[-7:]}, the last 7 digits of the trace number of the entry "
                f"at line {entry.line}, got {detail}",
            )
        if record.bad:
            entry.entry = None

    def _close_entry(self, batch: _Batch) -> None:
        entry = batch.entry
        if entry is None:
            return
        batch.entry = None
        if entry.indicator == "1" and not entry.addenda:
            self.add(
                entry.line,
                "addenda_indicator",
                (79, 79),
                "is 1, but no addenda record (type 7) follows the entry",
            )
            return
        if entry.entry is not None and not self.failed:
            batch.entries.append(
                Entry(**entry.entry, addenda=tuple(entry.addenda))  # type: ignore[arg-type]
            )

    def _type8(self, record: _Record) -> None:
        batch = self._batch
        if batch is None:
            self.add(
                record.line,
                "record_type",
                (1, 1),
                "a batch control without a batch header before it",
            )
            return
        self._close_entry(batch)
        self._batch = None
        self._state = "file"
        self._count += batch.count
        self._hash += batch.hash
        self._debit += batch.debit
        self._credit += batch.credit
        self._damaged = self._damaged or batch.damaged
        where = f"the batch at line {batch.line}"
        self._same(record, "service_class_code", batch.service_class, f"the header's ({where})")
        count = record.get("entry_addenda_count")
        if count is not None and int(count) != batch.count:
            self._bad(
                record,
                "entry_addenda_count",
                f"is {int(count)}, but {where} has {batch.count} entry and addenda records",
            )
        if batch.count == 0:
            self.add(
                record.line,
                "record_type",
                (1, 1),
                f"{where} has no entry detail records",
            )
        if not batch.damaged:
            self._totals(record, where, batch.hash, batch.debit, batch.credit)
        self._same(record, "company_id", batch.company_id, f"the header's ({where})")
        self._same(record, "originating_dfi", batch.odfi, f"the header's ({where})")
        self._same(record, "batch_number", batch.number, f"the header's ({where})")
        if self.collect and batch.header is not None and not self.failed:
            self._batches.append(
                Batch(
                    **batch.header,  # type: ignore[arg-type]
                    entries=tuple(batch.entries),
                    entry_addenda_count=batch.count,
                    entry_hash=batch.hash % _HASH_MODULUS,
                    total_debit=_cents(batch.debit),
                    total_credit=_cents(batch.credit),
                )
            )

    def _same(self, record: _Record, name: str, expected: str | None, what: str) -> None:
        value = record.get(name)
        if value is not None and expected is not None and value != expected:
            self._bad(record, name, f"must be {expected}, {what}, got {value}")

    def _totals(self, record: _Record, where: str, hashed: int, debit: int, credit: int) -> None:
        entry_hash = record.get("entry_hash")
        if entry_hash is not None and int(entry_hash) != hashed % _HASH_MODULUS:
            self._bad(
                record,
                "entry_hash",
                f"is {entry_hash}, but the routing numbers of {where} add up to "
                f"{hashed % _HASH_MODULUS:010d} (the sum of their first 8 digits, last 10 digits)",
            )
        for name, total in (("total_debit", debit), ("total_credit", credit)):
            value = record.get(name)
            if value is not None and int(value) != total:
                self._bad(
                    record,
                    name,
                    f"is {_cents(int(value))}, but the {name[6:]}s of {where} add up to "
                    f"{_cents(total)}",
                )

    def _type9(self, record: _Record) -> None:
        if self._batch is not None:
            self.add(
                record.line,
                "record_type",
                (1, 1),
                f"the file control before the batch control (type 8) of the batch at line "
                f"{self._batch.line}",
            )
            self._close_entry(self._batch)
            self._batch = None
        self._state = "end"
        self._control_line = record.line
        self._control = record
        batches = record.get("batch_count")
        if batches is not None and int(batches) != self._batch_count:
            self._bad(
                record,
                "batch_count",
                f"is {int(batches)}, but the file has {self._batch_count} batches",
            )
        count = record.get("entry_addenda_count")
        if count is not None and int(count) != self._count:
            self._bad(
                record,
                "entry_addenda_count",
                f"is {int(count)}, but the file's batches have {self._count} entry and addenda "
                "records",
            )
        if not self._damaged:
            self._totals(record, "the file", self._hash, self._debit, self._credit)

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """The checks that need the whole file: the last batch, file control, blocking."""
        total = self.line - (self._blank[1] if self._blank else 0)  # trailing empty lines: ignored
        if not self._records:
            self.add(1, "file", None, "the file is empty")
            return
        if self._batch is not None:
            self._close_entry(self._batch)
            self.add(
                total + 1,
                "record_type",
                None,
                f"the batch at line {self._batch.line} has no batch control (type 8) record",
            )
        control = self._control
        if control is None:
            self.add(
                total + 1,
                "record_type",
                None,
                "the file control record (type 9) is missing at the end of the file",
            )
        else:
            blocks = -(-total // BLOCKING_FACTOR)
            value = control.get("block_count")
            if value is not None and int(value) != blocks:
                self._bad(
                    control,
                    "block_count",
                    f"is {int(value)}, but the file's {total} records make {blocks} blocks of 10",
                )
            if total % BLOCKING_FACTOR:
                padded = blocks * BLOCKING_FACTOR
                self.add(
                    total,
                    "blocking",
                    None,
                    f"the file has {total} records, not a multiple of 10: pad it with all-9 "
                    f"records to {padded} (blocking factor 10)",
                )
            if self._padding >= BLOCKING_FACTOR:
                self.add(
                    total,
                    "blocking",
                    None,
                    f"{self._padding} padding records; padding only fills the last block of 10, "
                    "so there are at most 9",
                )
        if not self._entries:
            self.add(1, "file", None, "the file has no entry detail records (nothing to pay)")
        if self.collect and not self.failed and self._header is not None:
            self.result = NachaFile(
                **self._header,  # type: ignore[arg-type]
                batches=tuple(self._batches),
                block_count=total // BLOCKING_FACTOR,
                entry_addenda_count=self._count,
                entry_hash=self._hash % _HASH_MODULUS,
                total_debit=_cents(self._debit),
                total_credit=_cents(self._credit),
            )


def _aba_message(routing: str) -> str:
    return (
        f"has a wrong ABA check digit: routing number {routing[:8]}_ needs "
        f"{aba_digit(routing[:8])}, not {routing[8]}"
    )


def _numeric(value: str, item: Field) -> str | None:
    return None if value.isascii() and value.isdigit() else f"must be digits, got {_show(value)}"


def _const(value: str, item: Field) -> str | None:
    return None if value == item.value else f"must be {item.value!r}, got {_show(value)}"


def _blank(value: str, item: Field) -> str | None:
    return None if not value.strip(" ") else f"is reserved and must be blank, got {_show(value)}"


def _text(value: str, item: Field) -> str | None:
    if value.isascii() and value.isprintable():
        return None
    return f"must be printable ASCII characters, got {_show(value)}"


def _required_any(value: str, item: Field) -> str | None:
    if not value.strip(" "):
        return "is required (it is blank)"
    return _text(value, item)


def _required(value: str, item: Field) -> str | None:
    if value.startswith(" ") and value.strip(" "):
        return f"must be left-justified (it starts with a blank), got {_show(value)}"
    return _required_any(value, item)


def _date(value: str, item: Field) -> str | None:
    if value.isascii() and value.isdigit() and _yymmdd(value):
        return None
    return f"must be a date as YYMMDD, got {_show(value)}"


def _time(value: str, item: Field) -> str | None:
    if value == "    ":
        return None
    if value.isascii() and value.isdigit() and int(value[:2]) < 24 and int(value[2:]) < 60:
        return None
    return f"must be a time as HHMM (or blank), got {_show(value)}"


def _julian(value: str, item: Field) -> str | None:
    if value == "   " or (value.isascii() and value.isdigit() and 1 <= int(value) <= 366):
        return None
    return f"must be a day of the year 001-366 (or blank), got {_show(value)}"


def _modifier(value: str, item: Field) -> str | None:
    if value.isascii() and value.isalnum() and not value.islower():
        return None
    return f"must be a capital letter A-Z or a digit, got {_show(value)}"


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


def check_first_record(head: bytes) -> list[Problem]:
    """The problems of the first record in ``head``, the start of a file that cannot be re-read.

    A record cut short by the end of ``head`` is checked for its type alone.
    """
    problems: list[Problem] = []
    end = head.find(b"\\n")
    if end < 0 and len(head) < RECORD_LENGTH:
        if not head.startswith(b"1"):
            problems.append(Problem(1, "record_type", (1, 1), "must be a '1' file header"))
        return problems
    record = head[:end] if end >= 0 else head[:RECORD_LENGTH]
    if record.endswith(b"\\r"):
        record = record[:-1]
    checker = Checker(problems.append)
    if record:
        checker.feed(record, len(record))
    else:
        problems.append(
            Problem(1, "record", None, "is empty; the first record must be a '1' file header")
        )
    return problems
