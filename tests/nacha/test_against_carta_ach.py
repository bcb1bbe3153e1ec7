"""Against an independent implementation: files built by ``carta-ach`` (PyPI, test-only) are
valid and parse to what it was given; files built here read back the same through its parser."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ach.builder import AchFile  # carta-ach
from ach.parser import Parser
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank_connect import nacha

from ._samples import ORIGINATOR, ROUTING_NUMBERS, build, resolved

CODES = {
    ("credit", "checking"): "22",
    ("debit", "checking"): "27",
    ("credit", "savings"): "32",
    ("debit", "savings"): "37",
}
SETTINGS = {
    "immediate_dest": "021000021",
    "immediate_org": "123456780",
    "immediate_dest_name": "QBANK",
    "immediate_org_name": "ACME CORP",
    "company_id": "1234567890",
}

rows = st.fixed_dictionaries(
    {
        "name": st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", min_size=1, max_size=22)
        .map(str.strip)
        .filter(bool),
        "routing_number": st.sampled_from(ROUTING_NUMBERS),
        "account_number": st.text("0123456789", min_size=4, max_size=17),
        "cents": st.integers(1, 99_999_999),  # carta-ach goes through a float: keep to 8 digits
        "kind": st.sampled_from(sorted(CODES)),
        "addenda": st.sampled_from([[], [{"payment_related_info": "INV 1001"}]]),
    }
)


def carta_file(batches: list[tuple[str, date, list[dict[str, object]]]]) -> bytes:
    ach = AchFile("A", dict(SETTINGS))
    for sec, effective, items in batches:
        records = [
            {
                "type": CODES[row["kind"]],  # type: ignore[index]
                "routing_number": row["routing_number"],
                "account_number": row["account_number"],
                "amount": f"{row['cents'] / 100:.2f}",  # type: ignore[operator]
                "name": row["name"],
                "addenda": row["addenda"],
            }
            for row in items
        ]
        ach.add_batch(
            sec,
            records,
            credits=True,
            debits=True,
            eff_ent_date=datetime.combine(effective, datetime.min.time()),
        )
    return ach.render_to_string().encode("ascii")


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["PPD", "CCD", "WEB"]),
            st.sampled_from([date(2026, 11, 23), date(2027, 2, 28)]),
            st.lists(rows, min_size=1, max_size=12),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_files_built_by_carta_ach_are_valid_and_parse_to_their_entries(
    batches: list[tuple[str, date, list[dict[str, object]]]],
) -> None:
    data = carta_file(batches)
    assert nacha.validate(data) == []
    parsed = nacha.parse(data)
    expected = [
        nacha.Entry(
            name=str(row["name"]).strip().upper(),
            routing_number=str(row["routing_number"]),
            account_number=str(row["account_number"]),
            account_type=row["kind"][1],  # type: ignore[index]
            amount=Decimal(int(row["cents"])).scaleb(-2),  # type: ignore[call-overload]
            direction=row["kind"][0],  # type: ignore[index]
            sec_code=sec,
            effective_date=effective,
            addenda=("INV 1001",) if row["addenda"] else (),
        )
        for sec, effective, items in batches
        for row in items
    ]
    assert parsed.entries == expected
    assert [b.sec_code for b in parsed.batches] == [sec for sec, _, _ in batches]
    assert parsed.total_credit == sum(
        (e.amount for e in expected if e.direction == "credit"), Decimal(0)
    )
    assert parsed.total_debit == sum(
        (e.amount for e in expected if e.direction == "debit"), Decimal(0)
    )


def test_a_carta_ach_file_with_a_wrong_total_is_reported_where_it_is() -> None:
    row = {
        "name": "JANE",
        "routing_number": "021000021",
        "account_number": "1234",
        "cents": 1000,
        "kind": ("credit", "checking"),
        "addenda": [],
    }
    data = carta_file([("PPD", date(2026, 11, 23), [row])]).decode().split("\n")
    data[2] = data[2][:29] + "0000001001" + data[2][39:]
    problems = {(p.line, p.field) for p in nacha.validate("\n".join(data).encode())}
    assert {(4, "total_credit"), (5, "total_credit")} <= problems


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=20))
def test_files_built_here_read_back_the_same_through_carta_ach(
    items: list[dict[str, object]],
) -> None:
    entries = [
        nacha.Entry(
            str(row["name"]),
            str(row["routing_number"]),
            str(row["account_number"]),
            row["kind"][1],  # type: ignore[index]
            Decimal(int(row["cents"])).scaleb(-2),  # type: ignore[call-overload]
            row["kind"][0],  # type: ignore[index]
            addenda=("INV 1001",) if row["addenda"] else (),
        )
        for row in items
    ]
    theirs = Parser(build(entries).decode("ascii")).as_dict()
    (batch,) = theirs["batches"]
    details = [e["entry_detail"] for e in batch["entries"]]
    assert [d["transaction_code"] for d in details] == [
        CODES[(e.direction, e.account_type)] for e in entries
    ]
    assert [d["recv_dfi_id"] + d["check_digit"] for d in details] == [
        e.routing_number for e in entries
    ]
    assert [d["dfi_acnt_num"].rstrip() for d in details] == [e.account_number for e in entries]
    assert [int(d["amount"]) for d in details] == [e.cents for e in entries]
    assert [d["ind_name"].rstrip() for d in details] == [e.name for e in entries]
    assert [[a["pmt_rel_info"].rstrip() for a in x["addenda"]] for x in batch["entries"]] == [
        list(e.addenda) for e in entries
    ]
    control = theirs["file_control"]
    assert int(control["entadd_count"]) == sum(1 + len(e.addenda) for e in entries)
    assert int(control["entry_hash"]) == sum(int(e.routing_number[:8]) for e in entries) % 10**10
    assert int(control["credit_amount"]) == sum(e.cents for e in entries if e.direction == "credit")
    assert int(control["debit_amount"]) == sum(e.cents for e in entries if e.direction == "debit")
    assert batch["batch_header"]["std_ent_cls_code"] == ORIGINATOR.sec_code
    assert [resolved(e) for e in entries] == nacha.parse(build(entries)).entries
