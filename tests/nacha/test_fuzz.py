"""The validator on hostile input: it only ever answers with problems (or its own error), and a
changed digit in a field the format cross-checks is always reported."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbank_connect import nacha
from qbank_connect.nacha._fields import LAYOUTS, TRANSACTION_CODES

from ._samples import ENTRIES, build, lines

FILES = {
    "one batch": build(),
    "two batches and addenda": build(
        [
            ENTRIES[0],
            nacha.Entry(
                "A", "021000021", "1234", "checking", Decimal("1"), sec_code="CCD", addenda=("X",)
            ),
            ENTRIES[1],
            nacha.Entry(
                "B",
                "011000015",
                "5678",
                "savings",
                Decimal("2"),
                "debit",
                effective_date=date(2026, 12, 1),
            ),
        ]
    ),
}
NUMERIC = ("numeric", "const", "date", "time", "julian")


def _yymmdd(value: str) -> bool:
    try:
        date(2000 + int(value[:2]), int(value[2:4]), int(value[4:]))
    except ValueError:
        return False
    return True


def _positions(data: bytes) -> list[tuple[int, str, int, int]]:
    """(line, field, first column, last column) of every numeric field of every record."""
    found = []
    for number, record in enumerate(lines(data), start=1):
        if record == "9" * 94:
            continue
        for item in LAYOUTS[record[0]]:
            if item.kind in NUMERIC and item.name != "record_type":
                found.append((number, item.name, item.first, item.last))
    return found


def _traces(data: bytes) -> dict[int, tuple[int, int]]:
    """Per entry line, the trace numbers that bound its own within its batch (exclusive)."""
    bounds: dict[int, tuple[int, int]] = {}
    batch: list[tuple[int, int]] = []
    for number, record in enumerate([*lines(data), "8"], start=1):
        if record[0] == "6":
            batch.append((number, int(record[79:94])))
        elif record[0] == "8":
            for index, (line, _) in enumerate(batch):
                low = batch[index - 1][1] if index else -1
                high = batch[index + 1][1] if index + 1 < len(batch) else 10**15
                bounds[line] = (low, high)
            batch = []
    return bounds


def undetectable(data: bytes, line: int, name: str, first: int, old: str, new: str) -> bool:
    """A digit change no rule can see: the new value is as valid as the old."""
    if name in ("file_creation_date", "effective_date"):
        return _yymmdd(new)
    if name == "file_creation_time":
        return int(new[:2]) < 24 and int(new[2:]) < 60
    if name == "originator_status_code":
        return new in "012"
    if name == "transaction_code":  # checking <-> savings: same direction, same totals
        return new in TRANSACTION_CODES and TRANSACTION_CODES[new][0] == TRANSACTION_CODES[old][0]
    if name == "trace_number":
        low, high = _traces(data)[line]
        return new[:8] == old[:8] and low < int(new) < high
    return False


def mutate(data: bytes, line: int, column: int, char: str) -> bytes:
    records = lines(data)
    record = records[line - 1]
    records[line - 1] = record[: column - 1] + char + record[column:]
    return ("\n".join(records) + "\n").encode("latin-1")


@pytest.mark.parametrize("name", list(FILES))
def test_a_non_digit_in_any_numeric_field_is_reported(name: str) -> None:
    data = FILES[name]
    records = lines(data)
    for line, field, first, last in _positions(data):
        for column in range(first, last + 1):
            for char in set("X -") - {records[line - 1][column - 1]}:
                problems = nacha.validate(mutate(data, line, column, char))
                assert any(p.line == line for p in problems), (line, field, column, char)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(FILES)), st.data())
def test_a_changed_digit_in_a_checked_field_is_reported(name: str, data: st.DataObject) -> None:
    original = FILES[name]
    line, field, first, last = data.draw(st.sampled_from(_positions(original)))
    column = data.draw(st.integers(first, last))
    record = lines(original)[line - 1]
    old_char = record[column - 1]
    char = data.draw(st.sampled_from([d for d in "0123456789" if d != old_char]))
    mutated = mutate(original, line, column, char)
    old = record[first - 1 : last]
    new = lines(mutated)[line - 1][first - 1 : last]
    problems = nacha.validate(mutated)
    if not undetectable(original, line, field, first, old, new):
        assert problems, (line, field, column, old, new)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_problems_never_a_crash(data: bytes) -> None:
    problems = nacha.validate(data)
    assert all(isinstance(p, nacha.Problem) for p in problems)
    try:
        nacha.parse(data)
    except nacha.NachaValidationError as exc:
        assert exc.problems
    else:
        assert problems == []


_lines = st.sampled_from([line for data in FILES.values() for line in lines(data)] + ["", "9" * 94])


@st.composite
def mangled(draw: st.DrawFn) -> bytes:
    """A file of real records, shuffled, cut, duplicated and overwritten at random."""
    records = draw(st.lists(_lines, max_size=40))
    for _ in range(draw(st.integers(0, 5))):
        if not records:
            break
        index = draw(st.integers(0, len(records) - 1))
        column = draw(st.integers(0, 100))
        text = draw(st.text(st.characters(max_codepoint=255), max_size=5))
        records[index] = records[index][:column] + text + records[index][column + len(text) :]
    separator = draw(st.sampled_from(["\n", "\r\n", ""]))
    return separator.join(records).encode("latin-1")


@settings(max_examples=400, deadline=None)
@given(mangled())
def test_mangled_files_give_problems_never_a_crash(data: bytes) -> None:
    problems = nacha.validate(data)
    try:
        parsed = nacha.parse(data)
    except nacha.NachaValidationError as exc:
        assert exc.problems == problems
    else:
        assert problems == []
        assert parsed.entries


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(FILES)), st.integers(0, 10_000), st.binary(min_size=1, max_size=3))
def test_overwritten_bytes_give_problems_never_a_crash(name: str, at: int, junk: bytes) -> None:
    original = FILES[name]
    at %= len(original)
    data = original[:at] + junk + original[at + len(junk) :]
    problems = nacha.validate(data)
    if data != original and not problems:
        nacha.parse(data)  # still valid: then it must parse
