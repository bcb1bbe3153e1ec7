"""The builder: records, batches, trace numbers, hashes, totals and blocking; round trips."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank_connect import nacha
from qbank_connect.models import AchPaymentRequest

from ._samples import CREATED, ENTRIES, ORIGINATOR, build, entries, lines, resolved

# Checked by hand against the NACHA record layouts: hash 02100002 + 01100001 + 02600959 =
# 0005800962, debits 2250.75, credits 1500.00 + 0.01, 3 entries, padded to 10 records.
# Records written without their trailing blanks (ljust(94) puts them back).
GOLDEN_RECORDS = [
    "101 02100002112345678902611211403A094101QBANK                  ACME CORP",
    "5200ACME CORP                           1234567890PPDPAYMENT         261123   1021000020000001",
    "622021000021000123456        0000150000               JANE DOE                0021000020000001",
    "63701100001599887766         0000225075               John Roe                0021000020000002",
    "6220260095931234             0000000001INV-42         ACME SUPPLIES           0021000020000003",
    "820000000300058009620000002250750000001500011234567890                         021000020000001",
    "9000001000001000000030005800962000000225075000000150001",
    "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
    "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
    "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
]
GOLDEN = "".join(r.ljust(94) + "\n" for r in GOLDEN_RECORDS)


def field(record: str, first: int, last: int) -> str:
    return record[first - 1 : last]


def test_a_small_file_matches_the_hand_checked_records() -> None:
    assert build().decode("ascii") == GOLDEN


def test_controls_are_what_the_entries_add_up_to() -> None:
    many = [
        nacha.Entry(
            f"PAYEE {i}", routing, f"{10_000 + i}", "checking", Decimal(f"{i}.{i % 100:02d}")
        )
        for i, routing in enumerate(["091000019", "121000358", "123456780"] * 7, start=1)
    ]
    many += [nacha.Entry("COLLECT", "026009593", "5555", "savings", Decimal("7.00"), "debit")]
    records = lines(build(many))
    entry_records = [r for r in records if r[0] == "6"]
    hashed = sum(int(e.routing_number[:8]) for e in many) % 10**10
    credit = sum(int(e.amount * 100) for e in many if e.direction == "credit")
    debit = sum(int(e.amount * 100) for e in many if e.direction == "debit")
    (batch_control,) = [r for r in records if r[0] == "8"]
    (file_control,) = [r for r in records if r.startswith("9") and r != "9" * 94]
    assert len(entry_records) == len(many)
    assert int(field(batch_control, 5, 10)) == len(many)
    assert int(field(batch_control, 11, 20)) == hashed
    assert int(field(batch_control, 21, 32)) == debit
    assert int(field(batch_control, 33, 44)) == credit
    assert int(field(file_control, 2, 7)) == 1
    assert int(field(file_control, 8, 13)) == len(records) // 10
    assert int(field(file_control, 14, 21)) == len(many)
    assert int(field(file_control, 22, 31)) == hashed
    assert int(field(file_control, 32, 43)) == debit
    assert int(field(file_control, 44, 55)) == credit
    assert [field(r, 30, 39) for r in entry_records] == [
        f"{int(e.amount * 100):010d}" for e in many
    ]


def test_every_record_is_94_characters_and_the_file_is_blocked_by_10() -> None:
    for count in range(1, 25):
        data = build(ENTRIES[:1] * count)
        records = lines(data)
        assert all(len(r) == 94 for r in records)
        assert len(records) % 10 == 0
        assert data.endswith(b"\n") and b"\r" not in data
        real = 1 + 1 + count + 1 + 1
        assert records[real:] == ["9" * 94] * (len(records) - real)
        assert len(records) - real < 10


def test_entries_are_batched_by_sec_code_and_effective_date_in_first_seen_order() -> None:
    later = date(2026, 12, 1)
    mixed = [
        ENTRIES[0],
        nacha.Entry("A", "021000021", "1111", "checking", Decimal("1.00"), sec_code="CCD"),
        nacha.Entry(
            "B", "021000021", "2222", "checking", Decimal("2.00"), "debit", effective_date=later
        ),
        nacha.Entry("C", "021000021", "3333", "checking", Decimal("3.00")),
        nacha.Entry("D", "021000021", "4444", "checking", Decimal("4.00"), "debit", sec_code="CCD"),
    ]
    parsed = nacha.parse(build(mixed))
    assert [(b.sec_code, b.effective_date, b.service_class_code) for b in parsed.batches] == [
        ("PPD", date(2026, 11, 23), "220"),
        ("CCD", date(2026, 11, 23), "200"),
        ("PPD", later, "225"),
    ]
    assert [[e.name for e in b.entries] for b in parsed.batches] == [
        ["JANE DOE", "C"],
        ["A", "D"],
        ["B"],
    ]
    assert [b.batch_number for b in parsed.batches] == [1, 2, 3]
    traces = [e.trace_number for e in parsed.entries]
    assert all(t.startswith("02100002") for t in traces)
    assert [int(t[8:]) for b in parsed.batches for t in (e.trace_number for e in b.entries)] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_transaction_codes() -> None:
    kinds = [
        ("credit", "checking"),
        ("debit", "checking"),
        ("credit", "savings"),
        ("debit", "savings"),
    ]
    items = [
        nacha.Entry("X", "021000021", "1234", account_type, Decimal("1.00"), direction)
        for direction, account_type in kinds
    ]
    records = [r for r in lines(build(items)) if r[0] == "6"]
    assert [r[1:3] for r in records] == ["22", "27", "32", "37"]


def test_addenda_records_follow_their_entry() -> None:
    entry = nacha.Entry(
        "ACME", "021000021", "1234", "checking", Decimal("9.99"), addenda=("INV 1001",)
    )
    records = lines(build([entry]))
    assert records[2][78] == "1"
    assert records[3] == "705" + "INV 1001".ljust(80) + "0001" + "0000001"
    assert nacha.parse(build([entry])).entries[0].addenda == ("INV 1001",)
    ctx = nacha.Entry(
        "ACME", "021000021", "1234", "checking", Decimal("1"), sec_code="CTX", addenda=("A", "B")
    )
    assert nacha.parse(build([ctx])).entries[0].addenda == ("A", "B")
    with pytest.raises(ValueError, match="only CTX"):
        build(
            [nacha.Entry("ACME", "021000021", "1234", "checking", Decimal("1"), addenda=("A", "B"))]
        )


def test_ach_payment_requests_become_entries() -> None:
    request = AchPaymentRequest(
        source_account_id="acc_payroll",
        recipient_details={
            "name": "Acme Supplies",
            "routing_number": "021000021",
            "account_number": "123456789",
            "account_type": "savings",
        },
        amount="1000.50",
        effective_date="2026-12-01",
        sec_code="CCD",
        direction="debit",
    )
    (entry,) = nacha.parse(build([request])).entries  # type: ignore[list-item]
    assert entry == nacha.Entry(
        "Acme Supplies",
        "021000021",
        "123456789",
        "savings",
        Decimal("1000.50"),
        "debit",
        sec_code="CCD",
        effective_date=date(2026, 12, 1),
    )


def test_header_fields() -> None:
    parsed = nacha.parse(build(file_id_modifier="B"))
    assert parsed.immediate_destination == "021000021"
    assert parsed.immediate_origin == "1234567890"
    assert (parsed.destination_name, parsed.origin_name) == ("QBANK", "ACME CORP")
    assert parsed.created_at == CREATED
    assert parsed.file_id_modifier == "B"
    assert (parsed.total_debit, parsed.total_credit) == (Decimal("2250.75"), Decimal("1500.01"))
    assert parsed.block_count == 1 and parsed.entry_addenda_count == 3
    nine = nacha.Originator(**{**ORIGINATOR.__dict__, "immediate_origin": "123456780"})
    assert nine.immediate_origin == " 123456780"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "name is required"),
        ({"name": "X" * 23}, "name must be at most 22"),
        ({"name": "JOSÉ"}, "name must be printable ASCII"),
        ({"routing_number": "021000022"}, "routing_number has a wrong ABA check digit"),
        ({"routing_number": "21000021"}, "routing_number must be 9 digits"),
        ({"account_number": "12-34"}, "account_number must be 4 to 17 digits"),
        ({"account_type": "brokerage"}, "account_type must be"),
        ({"amount": Decimal("0")}, "more than zero"),
        ({"amount": Decimal("-1")}, "more than zero"),
        ({"amount": Decimal("1.005")}, "2 decimal places"),
        ({"amount": 1.5}, "must be a Decimal"),
        ({"amount": "abc"}, "must be a number"),
        ({"amount": Decimal("100000000.00")}, "at most 99999999.99"),
        ({"direction": "sideways"}, "direction must be"),
        ({"individual_id": "X" * 16}, "individual_id must be at most 15"),
        ({"sec_code": "XYZ"}, "sec_code must be a SEC code"),
        ({"effective_date": "2026-11-23"}, "effective_date must be a datetime.date"),
        ({"addenda": "INV"}, "addenda must be a tuple"),
    ],
)
def test_a_bad_entry_names_its_field(change: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {**ENTRIES[0].__dict__, **change}
    arguments.pop("trace_number")
    with pytest.raises(ValueError, match=message):
        nacha.Entry(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"immediate_destination": "021000022"}, "immediate_destination has a wrong ABA"),
        ({"immediate_origin": "12345"}, "immediate_origin must be 10 characters"),
        ({"company_name": ""}, "company_name is required"),
        ({"company_name": "X" * 17}, "company_name must be at most 16"),
        ({"company_id": "12345678901"}, "company_id must be at most 10"),
        ({"sec_code": "IAT"}, "sec_code must be a SEC code"),
        ({"company_entry_description": ""}, "company_entry_description is required"),
        ({"effective_date": date(1999, 1, 1)}, "effective_date must be in the years 2000-2099"),
    ],
)
def test_a_bad_originator_names_its_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nacha.Originator(**{**ORIGINATOR.__dict__, **change})  # type: ignore[arg-type]


def test_bad_builder_arguments() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        build([])
    with pytest.raises(ValueError, match="file_id_modifier"):
        build(file_id_modifier="a")
    with pytest.raises(ValueError, match="Entry or AchPaymentRequest"):
        build([{"name": "X"}])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="originator must be an Originator"):
        nacha.build_file(ENTRIES, {"company_name": "X"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="created_at must be a datetime"):
        nacha.build_file(ENTRIES, ORIGINATOR, created_at=date(2026, 1, 1))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.lists(entries, min_size=1, max_size=30), st.sampled_from(list("A0Z9")))
def test_build_then_parse_gives_the_entries_back(items: list[nacha.Entry], modifier: str) -> None:
    data = build(items, file_id_modifier=modifier)
    assert nacha.validate(data) == []
    parsed = nacha.parse(data)
    expected = [resolved(e) for e in items]
    batches: dict[tuple[object, object], list[nacha.Entry]] = {}
    for entry in expected:
        batches.setdefault((entry.sec_code, entry.effective_date), []).append(entry)
    assert parsed.entries == [entry for batch in batches.values() for entry in batch]
    assert parsed.total_credit == sum(
        (e.amount for e in items if e.direction == "credit"), Decimal(0)
    )
    assert parsed.total_debit == sum(
        (e.amount for e in items if e.direction == "debit"), Decimal(0)
    )
    assert parsed.entry_hash == sum(int(e.routing_number[:8]) for e in items) % 10**10
    assert parsed.file_id_modifier == modifier
