"""Originators, entries and hypothesis strategies shared by the NACHA tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from hypothesis import strategies as st

from qbank_connect import nacha

ORIGINATOR = nacha.Originator(
    immediate_destination="021000021",
    immediate_origin="1234567890",
    destination_name="QBANK",
    origin_name="ACME CORP",
    company_name="ACME CORP",
    company_id="1234567890",
    effective_date=date(2026, 11, 23),
)
CREATED = datetime(2026, 11, 21, 14, 3)
ROUTING_NUMBERS = ["021000021", "011000015", "026009593", "121000358", "091000019", "123456780"]

ENTRIES = [
    nacha.Entry("JANE DOE", "021000021", "000123456", "checking", Decimal("1500.00")),
    nacha.Entry("John Roe", "011000015", "99887766", "savings", Decimal("2250.75"), "debit"),
    nacha.Entry(
        "ACME SUPPLIES", "026009593", "1234", "checking", Decimal("0.01"), individual_id="INV-42"
    ),
]


def build(entries: list[nacha.Entry] | None = None, **options: object) -> bytes:
    return nacha.build_file(
        ENTRIES if entries is None else entries, ORIGINATOR, created_at=CREATED, **options
    )  # type: ignore[arg-type]


def resolved(entry: nacha.Entry, originator: nacha.Originator = ORIGINATOR) -> nacha.Entry:
    """The entry as a parse gives it back: the originator's defaults filled in."""
    return replace(
        entry,
        sec_code=entry.sec_code or originator.sec_code,
        effective_date=entry.effective_date or originator.effective_date,
    )


def lines(data: bytes) -> list[str]:
    return data.decode("ascii").splitlines()


_printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)

entries = st.builds(
    nacha.Entry,
    name=st.text(_printable, min_size=1, max_size=22).filter(str.strip),
    routing_number=st.sampled_from(ROUTING_NUMBERS),
    account_number=st.text("0123456789", min_size=4, max_size=17),
    account_type=st.sampled_from(["checking", "savings"]),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
    direction=st.sampled_from(["credit", "debit"]),
    individual_id=st.text(_printable, max_size=15),
    sec_code=st.sampled_from([None, "PPD", "CCD", "WEB"]),
    effective_date=st.sampled_from([None, date(2026, 11, 23), date(2026, 12, 1)]),
    addenda=st.lists(st.text(_printable, max_size=80), max_size=1).map(tuple),
)
