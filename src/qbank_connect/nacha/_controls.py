"""The control records: each batch control and the file control against what the records hold.

A batch control (type 8) repeats its header's fields and counts its batch's entry and addenda
records, hashes their routing numbers and totals their debits and credits; the file control
(type 9) does the same for the whole file, and counts its batches and its blocks of 10 records.
"""

from __future__ import annotations

from ._entries import OpenBatch
from ._fields import BLOCKING_FACTOR
from ._record import Problems, Record, from_cents

__all__ = ["HASH_MODULUS", "check_batch_control", "check_blocking", "check_file_control"]

HASH_MODULUS = 10**10


def check_batch_control(problems: Problems, record: Record, batch: OpenBatch) -> None:
    """Check a batch control against its batch's header, records and totals."""
    where = f"the batch at line {batch.line}"
    _same(problems, record, "service_class_code", batch.service_class, f"the header's ({where})")
    _count(
        problems,
        record,
        "entry_addenda_count",
        batch.count,
        f"{where} has {batch.count} entry and addenda records",
    )
    if batch.count == 0:
        problems.add(
            record.line,
            "record_type",
            (1, 1),
            f"{where} has no entry detail records",
        )
    if not batch.damaged:
        _totals(problems, record, where, batch.hash, batch.debit, batch.credit)
    _same(problems, record, "company_id", batch.company_id, f"the header's ({where})")
    _same(problems, record, "originating_dfi", batch.odfi, f"the header's ({where})")
    _same(problems, record, "batch_number", batch.number, f"the header's ({where})")


def check_file_control(
    problems: Problems,
    record: Record,
    *,
    batches: int,
    count: int,
    hashed: int,
    debit: int,
    credit: int,
    damaged: bool,
) -> None:
    """Check the file control against the file's batches and their counts and totals."""
    _count(problems, record, "batch_count", batches, f"the file has {batches} batches")
    _count(
        problems,
        record,
        "entry_addenda_count",
        count,
        f"the file's batches have {count} entry and addenda records",
    )
    if not damaged:
        _totals(problems, record, "the file", hashed, debit, credit)


def check_blocking(problems: Problems, control: Record, total: int, padding: int) -> None:
    """Check the file control's block count and the padding of the file's ``total`` records."""
    blocks = -(-total // BLOCKING_FACTOR)
    _count(
        problems,
        control,
        "block_count",
        blocks,
        f"the file's {total} records make {blocks} blocks of 10",
    )
    if total % BLOCKING_FACTOR:
        padded = blocks * BLOCKING_FACTOR
        problems.add(
            total,
            "blocking",
            None,
            f"the file has {total} records, not a multiple of 10: pad it with all-9 "
            f"records to {padded} (blocking factor 10)",
        )
    if padding >= BLOCKING_FACTOR:
        problems.add(
            total,
            "blocking",
            None,
            f"{padding} padding records; padding only fills the last block of 10, "
            "so there are at most 9",
        )


def _count(problems: Problems, record: Record, name: str, expected: int, but: str) -> None:
    value = record.get(name)
    if value is not None and int(value) != expected:
        problems.bad(record, name, f"is {int(value)}, but {but}")


def _same(problems: Problems, record: Record, name: str, expected: str | None, what: str) -> None:
    value = record.get(name)
    if value is not None and expected is not None and value != expected:
        problems.bad(record, name, f"must be {expected}, {what}, got {value}")


def _totals(
    problems: Problems, record: Record, where: str, hashed: int, debit: int, credit: int
) -> None:
    entry_hash = record.get("entry_hash")
    if entry_hash is not None and int(entry_hash) != hashed % HASH_MODULUS:
        problems.bad(
            record,
            "entry_hash",
            f"is {entry_hash}, but the routing numbers of {where} add up to "
            f"{hashed % HASH_MODULUS:010d} (the sum of their first 8 digits, last 10 digits)",
        )
    for name, total in (("total_debit", debit), ("total_credit", credit)):
        value = record.get(name)
        if value is not None and int(value) != total:
            problems.bad(
                record,
                name,
                f"is {from_cents(int(value))}, but the {name[6:]}s of {where} add up to "
                f"{from_cents(total)}",
            )
