"""The validator: each rule, reported with its line, field and columns; every problem at once."""

from __future__ import annotations

import io
import pickle
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from qbank_connect import nacha
from qbank_connect.errors import QBankError

from ._samples import ENTRIES, build, lines

# build(): 1 file header, 2 batch header, 3-5 entries, 6 batch control, 7 file control, 8-10 9s.
BASE = build()
CREDITS_ONLY = build([ENTRIES[0], ENTRIES[2]])
TWO_BATCHES = build(
    [ENTRIES[0], nacha.Entry("A", "021000021", "1234", "checking", Decimal("1"), sec_code="CCD")]
)


def put(data: bytes, line: int, column: int, text: str) -> bytes:
    """``text`` written over ``line`` (1-based) from ``column`` (1-based)."""
    records = lines(data)
    record = records[line - 1]
    records[line - 1] = record[: column - 1] + text + record[column - 1 + len(text) :]
    return ("\n".join(records) + "\n").encode("latin-1")


def edit(data: bytes, change: Callable[[list[str]], None]) -> bytes:
    records = lines(data)
    change(records)
    return ("\n".join(records) + "\n").encode("latin-1")


def where(data: bytes) -> set[tuple[int, str]]:
    return {(p.line, p.field) for p in nacha.validate(data)}


def found(data: bytes, line: int, name: str, text: str) -> nacha.Problem:
    problems = nacha.validate(data)
    matches = [p for p in problems if (p.line, p.field) == (line, name) and text in p.message]
    assert matches, problems
    return matches[0]


def test_a_valid_file_has_no_problem() -> None:
    assert nacha.validate(BASE) == []
    assert nacha.validate(TWO_BATCHES) == []


CASES: list[tuple[str, bytes, int, str, str]] = [
    # name, file, line, field, words of the message
    (
        "long record",
        edit(BASE, lambda r: r.__setitem__(2, r[2] + "X")),
        3,
        "record",
        "95 characters",
    ),
    (
        "short record",
        edit(BASE, lambda r: r.__setitem__(2, r[2][:50])),
        3,
        "record",
        "50 characters",
    ),
    ("unknown type", put(BASE, 3, 1, "4"), 3, "record_type", "unknown record type '4'"),
    ("no file header", edit(BASE, lambda r: r.pop(0)), 1, "record_type", "'1' file header"),
    (
        "second header",
        edit(BASE, lambda r: r.insert(2, r[0])),
        3,
        "record_type",
        "second file header",
    ),
    (
        "entry outside a batch",
        edit(BASE, lambda r: r.insert(6, r[2])),
        7,
        "record_type",
        "outside a batch",
    ),
    (
        "no batch control",
        edit(BASE, lambda r: r.pop(5)),
        6,
        "record_type",
        "before the batch control",
    ),
    (
        "batch header in a batch",
        edit(TWO_BATCHES, lambda r: r.pop(3)),
        4,
        "record_type",
        "batch header before the batch control",
    ),
    (
        "control without batch",
        edit(BASE, lambda r: r.insert(6, r[5])),
        7,
        "record_type",
        "without a batch header",
    ),
    (
        "no file control",
        edit(BASE, lambda r: r.__delitem__(slice(6, None))),
        7,
        "record_type",
        "missing",
    ),
    (
        "addenda alone",
        edit(BASE, lambda r: r.insert(2, "705" + " " * 80 + "0001" + "0000001")),
        3,
        "record_type",
        "does not follow an entry",
    ),
    ("addenda indicator", put(BASE, 3, 79, "1"), 3, "addenda_indicator", "no addenda record"),
    ("addenda indicator value", put(BASE, 3, 79, "2"), 3, "addenda_indicator", "must be 0 or 1"),
    ("ABA check digit", put(BASE, 3, 12, "2"), 3, "routing_number", "check digit"),
    ("amount not digits", put(BASE, 3, 35, "O"), 3, "amount", "must be digits"),
    ("amount zero", put(BASE, 5, 30, "0000000000"), 5, "amount", "more than zero"),
    ("batch credit total", put(BASE, 3, 30, "0000150001"), 6, "total_credit", "add up to 1500.02"),
    ("file credit total", put(BASE, 3, 30, "0000150001"), 7, "total_credit", "add up to 1500.02"),
    ("batch debit total", put(BASE, 6, 21, "000000000001"), 6, "total_debit", "add up to 2250.75"),
    ("batch entry hash", put(BASE, 6, 11, "0000000001"), 6, "entry_hash", "0005800962"),
    ("file entry hash", put(BASE, 7, 22, "0000000001"), 7, "entry_hash", "0005800962"),
    ("batch count of entries", put(BASE, 6, 5, "000004"), 6, "entry_addenda_count", "has 3 entry"),
    (
        "file count of entries",
        put(BASE, 7, 14, "00000002"),
        7,
        "entry_addenda_count",
        "have 3 entry",
    ),
    ("batch count", put(BASE, 7, 2, "000002"), 7, "batch_count", "has 1 batches"),
    ("block count", put(BASE, 7, 8, "000002"), 7, "block_count", "10 records make 1 blocks"),
    ("blocking", edit(BASE, lambda r: r.pop()), 9, "blocking", "not a multiple of 10"),
    (
        "too much padding",
        edit(BASE, lambda r: r.extend(["9" * 94] * 10)),
        20,
        "blocking",
        "at most 9",
    ),
    (
        "padding early",
        edit(BASE, lambda r: r.insert(6, "9" * 94)),
        7,
        "record_type",
        "padding record before",
    ),
    (
        "after the file control",
        edit(BASE, lambda r: r.__setitem__(8, r[2])),
        9,
        "record_type",
        "only all-9 padding",
    ),
    ("service class pair", put(BASE, 6, 2, "225"), 6, "service_class_code", "must be 200"),
    ("service class value", put(BASE, 2, 2, "201"), 2, "service_class_code", "220 (credits only)"),
    (
        "debit in a credit batch",
        put(CREDITS_ONLY, 3, 2, "27"),
        3,
        "transaction_code",
        "debit in a batch of credits only",
    ),
    ("transaction code", put(BASE, 3, 2, "23"), 3, "transaction_code", "must be 22 or 32"),
    ("account digits", put(BASE, 3, 13, "12-4"), 3, "account_number", "4 to 17 digits"),
    ("account justified", put(BASE, 3, 13, " 0"), 3, "account_number", "left-justified"),
    ("account blank", put(BASE, 3, 13, " " * 17), 3, "account_number", "required"),
    ("name blank", put(BASE, 3, 55, " " * 22), 3, "name", "required"),
    ("trace ODFI", put(BASE, 3, 80, "1"), 3, "trace_number", "originating DFI 02100002"),
    ("trace order", put(BASE, 4, 94, "1"), 4, "trace_number", "greater than the previous"),
    ("batch number pair", put(BASE, 6, 94, "2"), 6, "batch_number", "must be 0000001"),
    (
        "batch number order",
        put(put(TWO_BATCHES, 4, 94, "1"), 5, 94, "1"),
        5,
        "batch_number",
        "greater than",
    ),
    ("company id pair", put(BASE, 6, 45, "9"), 6, "company_id", "must be 1234567890"),
    ("ODFI pair", put(BASE, 6, 80, "1"), 6, "originating_dfi", "must be 02100002"),
    ("priority code", put(BASE, 1, 2, "02"), 1, "priority_code", "must be '01'"),
    ("destination check digit", put(BASE, 1, 13, "2"), 1, "immediate_destination", "check digit"),
    (
        "destination blank",
        put(BASE, 1, 4, "0"),
        1,
        "immediate_destination",
        "a blank and a 9-digit",
    ),
    ("record size", put(BASE, 1, 35, "095"), 1, "record_size", "must be '094'"),
    ("blocking factor", put(BASE, 1, 38, "20"), 1, "blocking_factor", "must be '10'"),
    ("format code", put(BASE, 1, 40, "2"), 1, "format_code", "must be '1'"),
    ("creation date", put(BASE, 1, 26, "13"), 1, "file_creation_date", "YYMMDD"),
    ("creation time", put(BASE, 1, 30, "2500"), 1, "file_creation_time", "HHMM"),
    ("file id modifier", put(BASE, 1, 34, "a"), 1, "file_id_modifier", "A-Z"),
    ("immediate origin", put(BASE, 1, 14, " " * 10), 1, "immediate_origin", "required"),
    ("SEC code", put(BASE, 2, 51, "XYZ"), 2, "sec_code", "must be a SEC code"),
    ("IAT", put(BASE, 2, 51, "IAT"), 2, "sec_code", "not supported"),
    ("effective date", put(BASE, 2, 72, "00"), 2, "effective_date", "YYMMDD"),
    ("settlement date", put(BASE, 2, 76, "400"), 2, "settlement_date", "001-366"),
    ("originator status", put(BASE, 2, 79, "5"), 2, "originator_status_code", "0, 1 or 2"),
    ("company name", put(BASE, 2, 5, " " * 16), 2, "company_name", "required"),
    (
        "description justified",
        put(BASE, 2, 54, " PAYMENT"),
        2,
        "company_entry_description",
        "left-justified",
    ),
    ("batch reserved", put(BASE, 6, 74, "X"), 6, "reserved", "must be blank"),
    ("file reserved", put(BASE, 7, 90, "X"), 7, "reserved", "must be blank"),
    ("control character", put(BASE, 3, 60, "\t"), 3, "name", "printable ASCII"),
    ("not ASCII", put(BASE, 3, 60, "\xe9"), 3, "name", "printable ASCII"),
    (
        "empty batch",
        edit(BASE, lambda r: r.__delitem__(slice(2, 5))),
        3,
        "record_type",
        "no entry detail",
    ),
    ("blank line", edit(BASE, lambda r: r.insert(3, "")), 4, "record", "line 4 is empty"),
]


@pytest.mark.parametrize(
    ("data", "line", "name", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_rule_names_line_and_field(data: bytes, line: int, name: str, words: str) -> None:
    problem = found(data, line, name, words)
    with pytest.raises(nacha.NachaValidationError) as info:
        nacha.parse(data)
    assert problem in info.value.problems


def test_columns_are_the_fields() -> None:
    assert found(put(BASE, 3, 35, "O"), 3, "amount", "digits").columns == (30, 39)
    assert found(put(BASE, 3, 12, "2"), 3, "routing_number", "check").columns == (4, 12)
    assert found(put(BASE, 7, 8, "000002"), 7, "block_count", "blocks").columns == (8, 13)
    assert found(edit(BASE, lambda r: r.pop()), 9, "blocking", "multiple").columns is None


def test_addenda_rules() -> None:
    one = nacha.Entry("A", "021000021", "1234", "checking", Decimal("1"), addenda=("X",))
    data = build([one])  # 1, 5, 6, 7, 8, 9
    assert nacha.validate(data) == []
    assert found(put(data, 4, 84, "0002"), 4, "addenda_sequence_number", "must be 0001")
    assert found(put(data, 4, 94, "9"), 4, "entry_detail_sequence_number", "0000001")
    assert found(put(data, 3, 79, "0"), 4, "record_type", "addenda indicator")
    second = edit(data, lambda r: r.insert(4, r[3][:83] + "0002" + r[3][87:]))
    assert found(second, 5, "record_type", "only CTX entries")
    assert found(second, 6, "entry_addenda_count", "has 3 entry")


def test_every_problem_is_reported_not_just_the_first() -> None:
    broken = put(put(put(put(BASE, 1, 35, "095"), 3, 30, "0000150001"), 4, 12, "0"), 7, 8, "000009")
    broken = edit(put(broken, 5, 55, " " * 22), lambda r: r.pop())
    assert {
        (1, "record_size"),
        (5, "name"),
        (4, "routing_number"),
        (6, "total_credit"),
        (7, "block_count"),
        (9, "blocking"),
    } <= where(broken)
    problems = nacha.validate(broken)
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_the_empty_file_and_junk() -> None:
    assert [str(p) for p in nacha.validate(b"")] == ["line 1, field 'file': the file is empty"]
    assert where(b"hello world") >= {(1, "record"), (1, "record_type")}


def test_line_breaks_crlf_none_and_trailing_blank_lines() -> None:
    assert nacha.validate(BASE.replace(b"\n", b"\r\n")) == []
    assert nacha.validate(BASE.replace(b"\n", b"")) == []
    assert nacha.validate(BASE.rstrip(b"\n")) == []
    assert nacha.validate(BASE + b"\n\n") == []
    assert nacha.parse(BASE.replace(b"\n", b"")).entries == nacha.parse(BASE).entries
    cut = BASE.replace(b"\n", b"")[:-5]
    assert found(cut, 10, "record", "89 characters")


def test_problem_reads_plainly() -> None:
    problem = nacha.Problem(3, "amount", (30, 39), "must be digits, got '00001O0000'")
    assert (
        str(problem) == "line 3, field 'amount' (columns 30-39): must be digits, got '00001O0000'"
    )
    assert (
        str(nacha.Problem(1, "record_type", (1, 1), "x"))
        == "line 1, field 'record_type' (column 1): x"
    )
    assert str(nacha.Problem(0, "file", None, "cannot open")) == "'file': cannot open"


def test_the_error_lists_the_first_problems_and_counts_the_rest() -> None:
    junk = b"\n".join([b"X" * 94] * 8) + b"\n"
    with pytest.raises(nacha.NachaValidationError) as info:
        nacha.parse(junk)
    error = info.value
    assert isinstance(error, QBankError) and isinstance(error, ValueError)
    assert len(error.problems) > 5
    assert str(error).startswith(f"not a valid NACHA file ({len(error.problems)} problems): line 1")
    assert str(error).endswith(f"and {len(error.problems) - 5} more")
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems and str(again) == str(error)


def test_max_problems_stops_early() -> None:
    junk = b"\n".join([b"X" * 94] * 1000)
    assert len(nacha.validate(junk)) > 1000
    assert len(nacha.validate(junk, max_problems=3)) == 3
    with pytest.raises(ValueError, match="max_problems"):
        nacha.validate(junk, max_problems=0)


def test_sources(tmp_path: Path) -> None:
    path = tmp_path / "payroll.ach"
    path.write_bytes(BASE)
    assert nacha.validate(path) == [] and nacha.validate(str(path)) == []
    assert nacha.validate(bytearray(BASE)) == [] and nacha.validate(memoryview(BASE)) == []
    stream = io.BytesIO(b"junk" + BASE)
    stream.seek(4)
    assert nacha.validate(stream) == []  # read from where it stands
    with open(path, "rb") as file:
        assert len(nacha.parse(file).entries) == 3
    with pytest.raises(TypeError, match="binary mode"), open(path) as text:
        nacha.validate(text)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a path, bytes"):
        nacha.validate(42)  # type: ignore[arg-type]
    with pytest.raises(nacha.NachaValidationError, match="cannot open") as info:
        nacha.validate(tmp_path / "missing.ach")
    assert info.value.problems[0].line == 0

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            raise OSError(5, "Input/output error")

    with pytest.raises(nacha.NachaValidationError, match="cannot read"):
        nacha.validate(Broken())


def test_validation_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.ach"
    entry = ENTRIES[0]
    path.write_bytes(build([entry] * 20_000))  # 20,000 entries: 1.9 MB
    size = path.stat().st_size
    tracemalloc.start()
    try:
        assert nacha.validate(path) == []
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > 1_800_000
    assert peak < 400_000, peak  # the chunks being read, not the file
