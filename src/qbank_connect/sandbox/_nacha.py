"""The sandbox's view of NACHA files, on :mod:`qbank_connect.nacha` (one implementation).

``parse_ach_file`` turns the library's problems into ``ERR_VAL_001`` details, and
``build_ach_file`` builds a test file with the sandbox's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from .. import nacha
from ._validation import Detail

__all__ = ["NachaEntry", "NachaError", "build_ach_file", "parse_ach_file"]

_MAX_DETAILS = 20


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


def _detail(problem: nacha.Problem) -> Detail:
    where = "file" if not problem.line else f"file.record[{problem.line}]"
    if problem.field not in ("record", "record_type", "file", "blocking"):
        where += f".{problem.field}"
    issue = problem.message
    if problem.columns is not None:
        issue += f" (columns {problem.columns[0]}-{problem.columns[1]})"
    return {"field": where, "issue": issue}


def parse_ach_file(data: bytes) -> list[NachaEntry]:
    """Parse a NACHA file into its entries; raises :class:`NachaError` when malformed."""
    try:
        parsed = nacha.parse(data)
    except nacha.NachaValidationError as exc:
        raise NachaError([_detail(p) for p in exc.problems[:_MAX_DETAILS]]) from None
    return [
        NachaEntry(
            routing_number=e.routing_number,
            account_number=e.account_number,
            amount=e.amount,
            name=e.name,
            direction=e.direction,
            account_type=e.account_type,
            effective_date=e.effective_date,
        )
        for e in parsed.entries
    ]


def build_ach_file(
    entries: list[NachaEntry],
    *,
    company_name: str = "SANDBOX CORP",
    company_id: str = "1234567890",
    effective_date: date | None = None,
    origin_routing: str = "123456780",
) -> bytes:
    """Build a valid NACHA file (CCD) from ``entries``, with fixed dates so it is reproducible.

    Example::

        data = build_ach_file([NachaEntry("123456780", "000123456", Decimal("10.00"), "JANE")])
    """
    originator = nacha.Originator(
        immediate_destination=origin_routing,
        immediate_origin=origin_routing,
        destination_name="QBANK CONNECT",
        origin_name=company_name[:23],
        company_name=company_name[:16],
        company_id=company_id[:10],
        sec_code="CCD",
        company_entry_description="PAYMENTS",
        effective_date=effective_date or date(2026, 1, 2),
    )
    return nacha.build_file(
        [
            nacha.Entry(
                name=entry.name,
                routing_number=entry.routing_number,
                account_number=entry.account_number,
                account_type=entry.account_type,  # type: ignore[arg-type]
                amount=entry.amount,
                direction=entry.direction,  # type: ignore[arg-type]
                individual_id=f"ID{index:013d}",
                effective_date=entry.effective_date,
            )
            for index, entry in enumerate(entries, start=1)
        ],
        originator,
        created_at=datetime(2026, 1, 1),
    )
