"""The validator: one pass over the records, every problem found, memory flat.

:class:`Checker` is fed one record at a time. It checks each field against the layout table,
the record order (file header, batches of header / entries / addenda / control, file control,
padding), the ABA check digits, and the counts, entry hashes and totals of every batch control
and of the file control against what the records really hold. Asked to ``collect``, it also
builds the :class:`~qbank_connect.nacha.NachaFile` (the entries then are in memory, of course).

This module follows the record order, checks the headers and assembles the result; the fields
are checked in ``_record``, entries and addenda in ``_entries``, the controls in ``_controls``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ._controls import HASH_MODULUS, check_batch_control, check_blocking, check_file_control
from ._entries import OpenBatch, check_addenda, check_entry, close_entry
from ._fields import (
    BLOCKING_FACTOR,
    FAST,
    LAYOUTS,
    RECORD_LENGTH,
    RECORD_NAMES,
    SEC_CODES,
    SERVICE_CLASS_CODES,
    aba_ok,
)
from ._model import Batch, NachaFile, Problem
from ._record import (
    CALENDAR,
    FIELDS,
    Problems,
    Record,
    aba_message,
    check_fields,
    from_cents,
    show,
    yymmdd,
)

__all__ = ["Checker", "Enough", "check_first_record"]

_PADDING = "9" * RECORD_LENGTH


class Enough(Exception):
    """Raised by the ``report`` callback of a :class:`Checker` once ``max_problems`` are found."""


class Checker:
    """Feed it records with :meth:`feed`, then call :meth:`finish`."""

    def __init__(
        self,
        report: Callable[[Problem], None],
        *,
        collect: bool = False,
    ) -> None:
        self.problems = Problems(report)
        self.collect = collect
        self.line = 0
        self._records = 0  # records that are not empty lines
        self._blank: tuple[int, int] | None = None  # a run of empty lines: (first line, count)
        self._header: dict[str, object] | None = None
        self._state = "start"  # start -> file <-> batch -> end
        self._batch: OpenBatch | None = None
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
        self._control: Record | None = None
        self._padding = 0
        self.result: NachaFile | None = None
        self._handlers: dict[str, Callable[[Record], None]] = {
            "1": self._type1,
            "5": self._type5,
            "6": self._type6,
            "7": self._type7,
            "8": self._type8,
            "9": self._type9,
        }

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
            self.problems.add(
                first, "record", None, f"{where} empty; every record must be 94 characters"
            )
        self._records += 1
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            text = raw.decode("ascii", "replace")
        kind = text[0]
        whole = length == RECORD_LENGTH
        if not whole:
            self.problems.add(
                line,
                "record",
                None,
                f"is {length} characters long; every record must be 94 characters",
            )
        if self._state == "end":
            if text != _PADDING:
                self.problems.add(
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
            self.problems.add(
                line, "record_type", (1, 1), "a padding record before the file control record"
            )
            return
        layout = FIELDS.get(kind)
        if layout is None:
            self.problems.add(
                line,
                "record_type",
                (1, 1),
                f"unknown record type {kind!r}; records are of type 1, 5, 6, 7, 8 or 9",
            )
            return
        if line == 1 and kind != "1":
            self.problems.add(
                1,
                "record_type",
                (1, 1),
                f"the first record must be a '1' file header, not a {RECORD_NAMES[kind]} ({kind})",
            )
            self._state = "file"
        record = Record(line, text, kind, set() if whole else set(layout))
        if whole and not FAST[kind].fullmatch(text):
            check_fields(self.problems, record, LAYOUTS[kind])
        elif whole and kind in CALENDAR:  # the pattern takes any digits: check the dates themselves
            check_fields(self.problems, record, CALENDAR[kind])
        self._handlers[kind](record)

    def _type1(self, record: Record) -> None:
        if self._state != "start":
            self.problems.add(
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
                self.problems.bad(
                    record,
                    "immediate_destination",
                    f"must be a blank and a 9-digit routing number, got {show(destination)}",
                )
            elif not aba_ok(routing):
                self.problems.bad(record, "immediate_destination", aba_message(routing))
        if self.collect:
            created = record.get("file_creation_date")
            time = record.get("file_creation_time")
            day = yymmdd(created) if created else None
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

    def _close_batch_early(self, record: Record, what: str) -> None:
        """``what`` came where the open batch's control should be: report it, close the batch."""
        if self._batch is not None:
            self.problems.add(
                record.line,
                "record_type",
                (1, 1),
                f"{what} before the batch control (type 8) of the batch at line {self._batch.line}",
            )
            close_entry(self.problems, self._batch)
            self._batch = None

    def _type5(self, record: Record) -> None:
        self._close_batch_early(record, "a batch header")
        self._state = "batch"
        self._batch_count += 1
        service = record.get("service_class_code")
        if service is not None and service not in SERVICE_CLASS_CODES:
            self.problems.bad(
                record,
                "service_class_code",
                f"must be 200 (credits and debits), 220 (credits only) or 225 (debits only), "
                f"got {show(service)}",
            )
        sec = record.get("sec_code")
        if sec is not None and (sec not in SEC_CODES or sec == "IAT"):
            message = (
                "IAT (international) batches are not supported"
                if sec == "IAT"
                else f"must be a SEC code such as PPD, CCD or WEB, got {show(sec)}"
            )
            self.problems.bad(record, "sec_code", message)
        status = record.get("originator_status_code")
        if status is not None and status not in "012":
            self.problems.bad(
                record, "originator_status_code", f"must be 0, 1 or 2, got {show(status)}"
            )
        number = record.get("batch_number")
        if number is not None:
            if int(number) <= self._last_batch_number:
                self.problems.bad(
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
                "effective_date": yymmdd(effective) if effective else None,
                "originating_dfi": record.get("originating_dfi"),
                "batch_number": int(number) if number is not None else 0,
            }
        self._batch = OpenBatch(
            line=record.line,
            service_class=record.get("service_class_code"),
            company_id=record.get("company_id"),
            odfi=record.get("originating_dfi"),
            number=record.get("batch_number"),
            sec=record.get("sec_code"),
            header=header,
        )

    def _open_batch(self, record: Record, outside: str) -> OpenBatch | None:
        """The batch ``record`` belongs to; ``None``, reported as ``outside``, when there is none."""
        if self._batch is None:
            self.problems.add(record.line, "record_type", (1, 1), outside)
        return self._batch

    def _type6(self, record: Record) -> None:
        batch = self._open_batch(
            record, "an entry detail outside a batch (no batch header before it)"
        )
        if batch is None:
            return
        self._entries += 1
        check_entry(self.problems, record, batch, collect=self.collect)

    def _type7(self, record: Record) -> None:
        check_addenda(self.problems, record, self._batch)

    def _type8(self, record: Record) -> None:
        batch = self._open_batch(record, "a batch control without a batch header before it")
        if batch is None:
            return
        close_entry(self.problems, batch)
        self._batch = None
        self._state = "file"
        self._count += batch.count
        self._hash += batch.hash
        self._debit += batch.debit
        self._credit += batch.credit
        self._damaged = self._damaged or batch.damaged
        check_batch_control(self.problems, record, batch)
        if self.collect and batch.header is not None and not self.problems.failed:
            self._batches.append(
                Batch(
                    **batch.header,  # type: ignore[arg-type]
                    entries=tuple(batch.entries),
                    entry_addenda_count=batch.count,
                    entry_hash=batch.hash % HASH_MODULUS,
                    total_debit=from_cents(batch.debit),
                    total_credit=from_cents(batch.credit),
                )
            )

    def _type9(self, record: Record) -> None:
        self._close_batch_early(record, "the file control")
        self._state = "end"
        self._control_line = record.line
        self._control = record
        check_file_control(
            self.problems,
            record,
            batches=self._batch_count,
            count=self._count,
            hashed=self._hash,
            debit=self._debit,
            credit=self._credit,
            damaged=self._damaged,
        )

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """The checks that need the whole file: the last batch, file control, blocking."""
        total = self.line - (self._blank[1] if self._blank else 0)  # trailing empty lines: ignored
        if not self._records:
            self.problems.add(1, "file", None, "the file is empty")
            return
        if self._batch is not None:
            close_entry(self.problems, self._batch)
            self.problems.add(
                total + 1,
                "record_type",
                None,
                f"the batch at line {self._batch.line} has no batch control (type 8) record",
            )
        control = self._control
        if control is None:
            self.problems.add(
                total + 1,
                "record_type",
                None,
                "the file control record (type 9) is missing at the end of the file",
            )
        else:
            check_blocking(self.problems, control, total, self._padding)
        if not self._entries:
            self.problems.add(
                1, "file", None, "the file has no entry detail records (nothing to pay)"
            )
        if self.collect and not self.problems.failed and self._header is not None:
            self.result = NachaFile(
                **self._header,  # type: ignore[arg-type]
                batches=tuple(self._batches),
                block_count=total // BLOCKING_FACTOR,
                entry_addenda_count=self._count,
                entry_hash=self._hash % HASH_MODULUS,
                total_debit=from_cents(self._debit),
                total_credit=from_cents(self._credit),
            )


def check_first_record(head: bytes) -> list[Problem]:
    """The problems of the first record in ``head``, the start of a file that cannot be re-read.

    A record cut short by the end of ``head`` is checked for its type alone.
    """
    problems: list[Problem] = []
    end = head.find(b"\n")
    if end < 0 and len(head) < RECORD_LENGTH:
        if not head.startswith(b"1"):
            problems.append(Problem(1, "record_type", (1, 1), "must be a '1' file header"))
        return problems
    record = head[:end] if end >= 0 else head[:RECORD_LENGTH]
    if record.endswith(b"\r"):
        record = record[:-1]
    checker = Checker(problems.append)
    if record:
        checker.feed(record, len(record))
    else:
        problems.append(
            Problem(1, "record", None, "is empty; the first record must be a '1' file header")
        )
    return problems
