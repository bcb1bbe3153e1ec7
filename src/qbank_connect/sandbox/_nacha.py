"""NACHA ACH files: a strict-enough parser for uploads and a small builder for tests.

A file is 94-character records (one per line, or concatenated): ``1`` file header, then per
batch a ``5`` batch header, ``6`` entry details (each may be followed by ``7`` addenda) and a
``8`` batch control, then the ``9`` file control and optional all-``9`` padding records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ._validation import Detail, aba_check_digit_ok

__all__ = ["NachaEntry", "NachaError", "build_ach_file", "parse_ach_file"]

RECORD_LENGTH = 94
CREDIT_CODES = {"22": "checking", "32": "savings"}
DEBIT_CODES = {"27": "checking", "37": "savings"}


@dataclass(frozen=True)
class NachaEntry:
    """One entry detail (type 6) record.

    Example::

        NachaEntry("123456780", "000123456", Decimal("125.00"), "JANE DOE")
    """

    routing_number: str
    account_number: str
    amount: Decimal
    name: str
    direction: str = "credit"
    account_type: str = "checking"
    effective_date: date | None = None


class NachaError(ValueError):
    """A malformed file; ``details`` are ``ERR_VAL_001`` details."""

    def __init__(self, details: list[Detail]) -> None:
        super().__init__("; ".join(f"{d['field']}: {d['issue']}" for d in details))
        self.details = details


def _records(data: bytes) -> list[str]:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise NachaError([{"field": "file", "issue": "must be ASCII text"}])
    lines = text.splitlines()
    if len(lines) == 1 and len(text) > RECORD_LENGTH and len(text) % RECORD_LENGTH == 0:
        # Records without line breaks (allowed by NACHA).
        lines = [text[i : i + RECORD_LENGTH] for i in range(0, len(text), RECORD_LENGTH)]
    return lines


def _parse_yymmdd(text: str) -> date | None:
    try:
        return date(2000 + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        return None


def parse_ach_file(data: bytes) -> list[NachaEntry]:
    """Parse a NACHA file into its entries; raises :class:`NachaError` when malformed."""
    records = _records(data)
    if not records or not "".join(records).strip():
        raise NachaError([{"field": "file", "issue": "is empty"}])
    problems: list[Detail] = []
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            problems.append(
                {
                    "field": f"file.record[{number}]",
                    "issue": f"must be {RECORD_LENGTH} characters, got {len(record)}",
                }
            )
    if problems:
        raise NachaError(problems[:20])
    if records[0][0] != "1":
        raise NachaError(
            [
                {
                    "field": "file.record[1]",
                    "issue": "the first record must be a file header (type 1)",
                }
            ]
        )
    entries: list[NachaEntry] = []
    effective: date | None = None
    in_batch = False
    saw_file_control = False
    for number, record in enumerate(records, start=1):
        kind = record[0]
        where = f"file.record[{number}]"
        if saw_file_control:
            if record != "9" * RECORD_LENGTH:
                problems.append(
                    {"field": where, "issue": "only padding may follow the file control"}
                )
            continue
        if kind == "1":
            if number != 1:
                problems.append({"field": where, "issue": "unexpected file header"})
        elif kind == "5":
            if in_batch:
                problems.append(
                    {"field": where, "issue": "batch header before the previous batch control"}
                )
            in_batch = True
            effective = _parse_yymmdd(record[69:75]) if record[69:75].strip() else None
        elif kind == "6":
            if not in_batch:
                problems.append({"field": where, "issue": "entry detail outside a batch"})
                continue
            entry = _parse_entry(record, where, effective, problems)
            if entry is not None:
                entries.append(entry)
        elif kind == "7":
            if not in_batch:
                problems.append({"field": where, "issue": "addenda outside a batch"})
        elif kind == "8":
            if not in_batch:
                problems.append({"field": where, "issue": "batch control without a batch header"})
            in_batch = False
        elif kind == "9":
            saw_file_control = True
        else:
            problems.append({"field": where, "issue": f"unknown record type {kind!r}"})
    if in_batch:
        problems.append({"field": "file", "issue": "the last batch has no batch control (type 8)"})
    if not saw_file_control:
        problems.append({"field": "file", "issue": "missing the file control record (type 9)"})
    if not entries and not problems:
        problems.append({"field": "file", "issue": "contains no entry detail (type 6) records"})
    if problems:
        raise NachaError(problems[:20])
    return entries


def _parse_entry(
    record: str, where: str, effective: date | None, problems: list[Detail]
) -> NachaEntry | None:
    code = record[1:3]
    routing = record[3:12]
    account = record[12:29].strip()
    amount_text = record[29:39]
    name = record[54:76].strip()
    before = len(problems)
    if code in CREDIT_CODES:
        direction, account_type = "credit", CREDIT_CODES[code]
    elif code in DEBIT_CODES:
        direction, account_type = "debit", DEBIT_CODES[code]
    else:
        problems.append(
            {"field": f"{where}.transaction_code", "issue": f"unsupported code {code!r}"}
        )
        direction, account_type = "credit", "checking"
    if not aba_check_digit_ok(routing):
        problems.append(
            {
                "field": f"{where}.receiving_dfi",
                "issue": "must be a valid 9-digit ABA routing number",
            }
        )
    if not (account.isdigit() and 4 <= len(account) <= 17):
        problems.append({"field": f"{where}.dfi_account_number", "issue": "must be 4 to 17 digits"})
    if not amount_text.isdigit() or int(amount_text) == 0:
        problems.append({"field": f"{where}.amount", "issue": "must be a positive amount in cents"})
    if not name:
        problems.append({"field": f"{where}.individual_name", "issue": "is required"})
    if len(problems) != before:
        return None
    return NachaEntry(
        routing_number=routing,
        account_number=account,
        amount=(Decimal(int(amount_text)) / 100).quantize(Decimal("0.01")),
        name=name,
        direction=direction,
        account_type=account_type,
        effective_date=effective,
    )


def build_ach_file(
    entries: list[NachaEntry],
    *,
    company_name: str = "SANDBOX CORP",
    company_id: str = "1234567890",
    effective_date: date | None = None,
    origin_routing: str = "123456780",
) -> bytes:
    """Build a valid single-batch NACHA file (CCD) from ``entries``.

    Example::

        data = build_ach_file([NachaEntry("123456780", "000123456", Decimal("10.00"), "JANE")])
    """
    eff = effective_date or date(2026, 1, 2)
    records = [
        "101"
        + f" {origin_routing}"
        + f" {origin_routing}"
        + "2601010000"
        + "A094101"
        + "QBANK CONNECT".ljust(23)
        + company_name[:23].ljust(23)
        + " " * 8
    ]
    records.append(
        "5200"
        + company_name[:16].ljust(16)
        + " " * 20
        + company_id[:10].ljust(10)
        + "CCD"
        + "PAYMENTS".ljust(10)
        + " " * 6
        + eff.strftime("%y%m%d")
        + "   "
        + "1"
        + origin_routing[:8]
        + "0000001"
    )
    credit = debit = 0
    hash_total = 0
    for index, entry in enumerate(entries, start=1):
        cents = int(entry.amount * 100)
        codes = CREDIT_CODES if entry.direction == "credit" else DEBIT_CODES
        code = next(c for c, t in codes.items() if t == entry.account_type)
        if entry.direction == "credit":
            credit += cents
        else:
            debit += cents
        hash_total += int(entry.routing_number[:8])
        records.append(
            "6"
            + code
            + entry.routing_number
            + entry.account_number.ljust(17)
            + f"{cents:010d}"
            + f"ID{index:013d}"
            + entry.name[:22].ljust(22)
            + "  "
            + "0"
            + origin_routing[:8]
            + f"{index:07d}"
        )
    count = len(entries)
    records.append(
        "8200"
        + f"{count:06d}"
        + f"{hash_total % 10**10:010d}"
        + f"{debit:012d}"
        + f"{credit:012d}"
        + company_id[:10].ljust(10)
        + " " * 25
        + origin_routing[:8]
        + "0000001"
    )
    blocks = (len(records) + 1 + 9) // 10
    records.append(
        "9"
        + "000001"
        + f"{blocks:06d}"
        + f"{count:08d}"
        + f"{hash_total % 10**10:010d}"
        + f"{debit:012d}"
        + f"{credit:012d}"
        + " " * 39
    )
    while len(records) % 10:
        records.append("9" * RECORD_LENGTH)
    assert all(len(r) == RECORD_LENGTH for r in records), [len(r) for r in records]
    return ("\n".join(records) + "\n").encode("ascii")
