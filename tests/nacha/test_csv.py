"""Entries from a spreadsheet export: good rows become entries, every bad cell is named."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from qbank_connect import nacha

GOOD = """name,routing_number,account_number,account_type,amount,direction,individual_id,reference
Jane Doe,021000021,000123456,checking,1500.00,,EMP-1,r1
John Roe,011000015,99887766,Savings,2250.75,debit,,r2
"""


def test_rows_become_entries(tmp_path: Path) -> None:
    expected = [
        nacha.Entry(
            "Jane Doe",
            "021000021",
            "000123456",
            "checking",
            Decimal("1500.00"),
            individual_id="EMP-1",
        ),
        nacha.Entry("John Roe", "011000015", "99887766", "savings", Decimal("2250.75"), "debit"),
    ]
    assert nacha.entries_from_csv(io.StringIO(GOOD)) == expected
    path = tmp_path / "payroll.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())  # Excel: BOM, CRLF
    assert nacha.entries_from_csv(path) == expected
    assert nacha.entries_from_csv(str(path)) == expected


def test_every_bad_cell_is_named_by_line_and_column() -> None:
    bad = (
        "name,routing_number,account_number,account_type,amount\n"
        "Jane Doe,021000022,000123456,checking,1500.00\n"
        ",021000021,12,brokerage,-5\n"
        "\n"
        "Ok,021000021,1234,checking,1.5x\n"
    )
    with pytest.raises(nacha.NachaValidationError) as info:
        nacha.entries_from_csv(io.StringIO(bad))
    problems = [(p.line, p.field) for p in info.value.problems]
    assert problems == [
        (2, "routing_number"),
        (3, "name"),
        (3, "account_number"),
        (3, "account_type"),
        (3, "amount"),
        (5, "amount"),
    ]
    assert "line 2, field 'routing_number': has a wrong ABA check digit" in str(info.value)
    assert str(info.value).startswith("not a valid CSV file (6 problems)")


def test_missing_columns_empty_files_and_wrong_sources(tmp_path: Path) -> None:
    with pytest.raises(
        nacha.NachaValidationError, match="line 1, field 'amount': the column is missing"
    ):
        nacha.entries_from_csv(io.StringIO("name,routing_number,account_number,account_type\n"))
    with pytest.raises(nacha.NachaValidationError, match="empty"):
        nacha.entries_from_csv(io.StringIO(""))
    with pytest.raises(nacha.NachaValidationError, match="no entries"):
        nacha.entries_from_csv(
            io.StringIO("name,routing_number,account_number,account_type,amount\n")
        )
    with pytest.raises(nacha.NachaValidationError, match="more cells"):
        nacha.entries_from_csv(io.StringIO(GOOD.replace("r2", "r2,extra,cells")))
    with pytest.raises(nacha.NachaValidationError, match="cannot open"):
        nacha.entries_from_csv(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="text stream"):
        nacha.entries_from_csv(io.BytesIO(GOOD.encode()))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text stream"):
        nacha.entries_from_csv(42)  # type: ignore[arg-type]
    path = tmp_path / "latin1.csv"
    path.write_bytes(GOOD.replace("Jane", "J\xe9ne").encode("latin-1"))
    with pytest.raises(nacha.NachaValidationError, match="not UTF-8"):
        nacha.entries_from_csv(path)


def test_a_csv_builds_a_valid_file() -> None:
    from ._samples import build

    data = build(nacha.entries_from_csv(io.StringIO(GOOD)))
    assert nacha.validate(data) == []
