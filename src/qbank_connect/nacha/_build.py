"""The builder: entries and an originator in, the 94-character records of a NACHA file out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from ._fields import BLOCKING_FACTOR, RECORD_LENGTH, TRANSACTION_CODES
from ._model import Entry, Originator

if TYPE_CHECKING:
    from ..models import AchPaymentRequest

__all__ = ["build_file"]

_CODES = {kind: code for code, kind in TRANSACTION_CODES.items()}  # (direction, type) -> code
_SERVICE_CLASS = {(True, True): "200", (True, False): "220", (False, True): "225"}
_MAX_TOTAL = 10**12  # 12 digits of cents in a control record


def _as_entry(item: object) -> Entry:
    if isinstance(item, Entry):
        return item
    from ..models import AchPaymentRequest

    if not isinstance(item, AchPaymentRequest):
        raise ValueError(
            f"entries must be Entry or AchPaymentRequest objects, not {type(item).__name__}"
        )
    recipient = item.recipient_details
    return Entry(
        name=recipient.name,
        routing_number=recipient.routing_number,
        account_number=recipient.account_number,
        account_type=recipient.account_type,
        amount=item.amount,
        direction=item.direction or "credit",
        sec_code=item.sec_code,
        effective_date=item.effective_date,
    )


def _alpha(text: str, width: int) -> str:
    return text[:width].ljust(width)


def _record(*fields: str) -> str:
    record = "".join(fields)
    assert len(record) == RECORD_LENGTH, (len(record), record)
    return record


def build_file(
    entries: Iterable[Entry | AchPaymentRequest],
    originator: Originator,
    *,
    file_id_modifier: str = "A",
    created_at: datetime | None = None,
) -> bytes:
    """The NACHA file paying ``entries``, one batch per SEC code and effective date.

    Batches come in the order their first entry comes, entries in the order given. Trace
    numbers are the originating DFI (the immediate destination's first 8 digits) and a
    sequence number; entry hashes, counts and debit/credit totals are computed; the file is
    padded with all-9 records to a multiple of 10 (the blocking factor). Records are joined by
    ``"\\n"``, and the last one ends with one too.

    Example::

        data = build_file(
            [Entry("JANE DOE", "021000021", "000123456", "checking", Decimal("125.00"))],
            Originator(immediate_destination="021000021", immediate_origin="1234567890",
                       destination_name="QBANK", origin_name="ACME CORP",
                       company_name="ACME CORP", company_id="1234567890",
                       effective_date=date(2026, 11, 23)),
        )
        Path("payroll.ach").write_bytes(data)
    """
    if not isinstance(originator, Originator):
        raise ValueError(f"originator must be an Originator, not {type(originator).__name__}")
    if not (
        isinstance(file_id_modifier, str)
        and len(file_id_modifier) == 1
        and file_id_modifier.isascii()
        and (file_id_modifier.isdigit() or file_id_modifier.isupper())
    ):
        raise ValueError(f"file_id_modifier must be one of A-Z or 0-9, got {file_id_modifier!r}")
    if created_at is not None and not isinstance(created_at, datetime):
        raise ValueError(f"created_at must be a datetime, got {created_at!r}")
    created = created_at or datetime.now()
    batches: dict[tuple[str, date], list[Entry]] = {}
    for item in entries:
        entry = _as_entry(item)
        key = (
            entry.sec_code or originator.sec_code,
            entry.effective_date or originator.effective_date,
        )
        if len(entry.addenda) > 1 and key[0] != "CTX":
            raise ValueError(f"entry {entry.name!r}: only CTX entries may have several addenda")
        batches.setdefault(key, []).append(entry)
    if not batches:
        raise ValueError("entries must not be empty: a NACHA file pays at least one entry")

    odfi = originator.immediate_destination[:8]
    records = [
        _record(
            "101",
            " " + originator.immediate_destination,
            originator.immediate_origin,
            created.strftime("%y%m%d%H%M"),
            file_id_modifier,
            "094",
            "10",
            "1",
            _alpha(originator.destination_name, 23),
            _alpha(originator.origin_name, 23),
            " " * 8,
        )
    ]
    trace = 0
    file_count = file_hash = file_debit = file_credit = 0
    for number, ((sec, effective), batch) in enumerate(batches.items(), start=1):
        credits = any(e.direction == "credit" for e in batch)
        debits = any(e.direction == "debit" for e in batch)
        service = _SERVICE_CLASS[(credits, debits)]
        company_id = _alpha(originator.company_id, 10)
        records.append(
            _record(
                "5",
                service,
                _alpha(originator.company_name, 16),
                " " * 20,
                company_id,
                sec,
                _alpha(originator.company_entry_description, 10),
                " " * 6,
                effective.strftime("%y%m%d"),
                "   ",
                "1",
                odfi,
                f"{number:07d}",
            )
        )
        count = batch_hash = debit = credit = 0
        for entry in batch:
            trace += 1
            count += 1 + len(entry.addenda)
            batch_hash += int(entry.routing_number[:8])
            if entry.direction == "credit":
                credit += entry.cents
            else:
                debit += entry.cents
            records.append(
                _record(
                    "6",
                    _CODES[(entry.direction, entry.account_type)],
                    entry.routing_number,
                    _alpha(entry.account_number, 17),
                    f"{entry.cents:010d}",
                    _alpha(entry.individual_id, 15),
                    _alpha(entry.name, 22),
                    "  ",
                    "1" if entry.addenda else "0",
                    f"{odfi}{trace:07d}",
                )
            )
            for index, text in enumerate(entry.addenda, start=1):
                records.append(_record("705", _alpha(text, 80), f"{index:04d}", f"{trace:07d}"))
        if debit >= _MAX_TOTAL or credit >= _MAX_TOTAL:
            raise ValueError(f"batch {number}: its total is too large for a NACHA file")
        records.append(
            _record(
                "8",
                service,
                f"{count:06d}",
                f"{batch_hash % 10**10:010d}",
                f"{debit:012d}",
                f"{credit:012d}",
                company_id,
                " " * 19,
                " " * 6,
                odfi,
                f"{number:07d}",
            )
        )
        file_count += count
        file_hash += batch_hash
        file_debit += debit
        file_credit += credit
    if trace > 9_999_999 or file_count > 99_999_999:
        raise ValueError("entries: too many for one NACHA file")
    if file_debit >= _MAX_TOTAL or file_credit >= _MAX_TOTAL:
        raise ValueError("entries: the file's total is too large for a NACHA file")
    blocks = -(-(len(records) + 1) // BLOCKING_FACTOR)
    records.append(
        _record(
            "9",
            f"{len(batches):06d}",
            f"{blocks:06d}",
            f"{file_count:08d}",
            f"{file_hash % 10**10:010d}",
            f"{file_debit:012d}",
            f"{file_credit:012d}",
            " " * 39,
        )
    )
    records.extend(["9" * RECORD_LENGTH] * (blocks * BLOCKING_FACTOR - len(records)))
    return ("\n".join(records) + "\n").encode("ascii")
