"""Entry detail (type 6) and addenda (type 7) records, and the batch they add up in.

:class:`OpenBatch` is the batch being read: its header's fields, its entries and the counts,
entry hash and totals its batch control must show. :class:`OpenEntry` is the entry detail being
read, until the record after its addenda.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._fields import SERVICE_CLASS_CODES, TRANSACTION_CODES, aba_ok, account_problem
from ._model import Entry
from ._record import Problems, Record, aba_message, from_cents, show

__all__ = ["OpenBatch", "OpenEntry", "check_addenda", "check_entry", "close_entry"]

_no_strings: list[str] = []
_no_entries: list[Entry] = []


@dataclass
class OpenEntry:
    """The entry detail being read, until the record after its addenda."""

    line: int
    indicator: str | None
    trace: str | None
    entry: dict[str, object] | None  # Entry's arguments, None when the record had problems
    addenda: list[str] = field(default_factory=lambda: _no_strings[:])


@dataclass
class OpenBatch:
    """The batch being read, from its header to its control."""

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
    entry: OpenEntry | None = None


def check_entry(problems: Problems, record: Record, batch: OpenBatch, *, collect: bool) -> None:
    """Check an entry detail of ``batch`` and add it to the batch's counts and totals."""
    close_entry(problems, batch)
    batch.count += 1
    code = record.get("transaction_code")
    kind = TRANSACTION_CODES.get(code) if code is not None else None
    if code is not None and kind is None:
        problems.bad(
            record,
            "transaction_code",
            f"must be 22 or 32 (credit to checking or savings) or 27 or 37 (debit), "
            f"got {show(code)}",
        )
    if kind is not None and batch.service_class in ("220", "225"):
        wanted = "credit" if batch.service_class == "220" else "debit"
        if kind[0] != wanted:
            problems.bad(
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
            problems.bad(record, "routing_number", aba_message(routing))
    account = record.get("account_number")
    if account is not None:
        if not account.strip(" "):
            problem: str | None = "is required (it is blank)"
        elif account[0] == " ":
            problem = f"must be left-justified (it starts with a blank), got {show(account)}"
        else:
            problem = account_problem(account.rstrip(" "))
        if problem:
            problems.bad(record, "account_number", problem)
    amount = record.get("amount")
    cents = int(amount) if amount is not None else 0
    if amount is not None and cents == 0:
        problems.bad(record, "amount", "must be more than zero (each entry is one payment)")
    if amount is None or kind is None:
        batch.damaged = True
    elif kind[0] == "credit":
        batch.credit += cents
    else:
        batch.debit += cents
    indicator = record.get("addenda_indicator")
    if indicator is not None and indicator not in "01":
        problems.bad(record, "addenda_indicator", f"must be 0 or 1, got {show(indicator)}")
        indicator = None
    trace = record.get("trace_number")
    if trace is not None:
        if batch.odfi is not None and trace[:8] != batch.odfi:
            problems.bad(
                record,
                "trace_number",
                f"must start with the batch's originating DFI {batch.odfi}, got {trace}",
            )
        elif int(trace) <= batch.last_trace:
            problems.bad(
                record,
                "trace_number",
                f"must be greater than the previous entry's ({batch.last_trace:015d}): "
                "trace numbers ascend within a batch",
            )
        batch.last_trace = max(batch.last_trace, int(trace))
    arguments: dict[str, object] | None = None
    if collect and not record.bad and kind is not None and batch.header is not None:
        arguments = {
            "name": (record.get("name") or "").rstrip(),
            "routing_number": routing,
            "account_number": (account or "").rstrip(),
            "account_type": kind[1],
            "amount": from_cents(cents),
            "direction": kind[0],
            "individual_id": (record.get("individual_id") or "").strip(),
            "sec_code": batch.header["sec_code"],
            "effective_date": batch.header["effective_date"],
            "trace_number": trace,
        }
    batch.entry = OpenEntry(record.line, indicator, trace, arguments)


def check_addenda(problems: Problems, record: Record, batch: OpenBatch | None) -> None:
    """Check an addenda record: it follows an entry of ``batch`` that announced it."""
    entry = batch.entry if batch is not None else None
    if batch is None or entry is None:
        problems.add(
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
        problems.add(
            record.line,
            "record_type",
            (1, 1),
            f"an addenda record after an entry (line {entry.line}) whose addenda indicator "
            "(column 79) is 0",
        )
    entry.addenda.append((record.get("payment_related_information") or "").rstrip())
    count = len(entry.addenda)
    if count == 2 and batch.sec != "CTX":
        problems.add(
            record.line,
            "record_type",
            (1, 1),
            f"a second addenda record for the entry at line {entry.line}; only CTX entries "
            "may have more than one",
        )
        entry.entry = None
    sequence = record.get("addenda_sequence_number")
    if sequence is not None and int(sequence) != count:
        problems.bad(record, "addenda_sequence_number", f"must be {count:04d}, got {sequence}")
    detail = record.get("entry_detail_sequence_number")
    if detail is not None and entry.trace is not None and detail != entry.trace[-7:]:
        problems.bad(
            record,
            "entry_detail_sequence_number",
            f"must be {entry.trace[-7:]}, the last 7 digits of the trace number of the entry "
            f"at line {entry.line}, got {detail}",
        )
    if record.bad:
        entry.entry = None


def close_entry(problems: Problems, batch: OpenBatch) -> None:
    """Done with the batch's open entry (its addenda are read): add it to the batch's entries."""
    entry = batch.entry
    if entry is None:
        return
    batch.entry = None
    if entry.indicator == "1" and not entry.addenda:
        problems.add(
            entry.line,
            "addenda_indicator",
            (79, 79),
            "is 1, but no addenda record (type 7) follows the entry",
        )
        return
    if entry.entry is not None and not problems.failed:
        batch.entries.append(
            Entry(**entry.entry, addenda=tuple(entry.addenda))  # type: ignore[arg-type]
        )
