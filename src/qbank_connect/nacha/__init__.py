"""NACHA ACH files: build one from entries, parse one, and find every problem in one.

A NACHA file is 94-character records: a ``1`` file header; per batch a ``5`` batch header,
``6`` entry details (each may be followed by ``7`` addenda) and an ``8`` batch control; a ``9``
file control; and all-``9`` padding up to a multiple of 10 records. The same code builds the
files, checks them before ``upload_ach_file`` sends them, and parses them in the sandbox.

Example::

    from datetime import date
    from decimal import Decimal
    from qbank_connect import nacha

    originator = nacha.Originator(
        immediate_destination="021000021", immediate_origin="1234567890",
        destination_name="QBANK", origin_name="ACME CORP",
        company_name="ACME CORP", company_id="1234567890", effective_date=date(2026, 11, 23),
    )
    data = nacha.build_file(
        [nacha.Entry("JANE DOE", "021000021", "000123456", "checking", Decimal("125.00"))],
        originator,
    )
    assert nacha.validate(data) == []
    print(nacha.parse(data).total_credit)  # 125.00
"""

from __future__ import annotations

from ._build import build_file
from ._check import Checker, Enough
from ._csv import entries_from_csv
from ._model import Batch, Entry, NachaFile, NachaValidationError, Originator, Problem
from ._reader import Source, open_source, records

__all__ = [
    "Batch",
    "Entry",
    "NachaFile",
    "NachaValidationError",
    "Originator",
    "Problem",
    "Source",
    "build_file",
    "entries_from_csv",
    "parse",
    "validate",
]


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line)  # stable: a record's problems keep their order


def validate(source: Source, *, max_problems: int | None = None) -> list[Problem]:
    """Every problem of the NACHA file ``source``, in line order; ``[]`` when it is valid.

    ``source`` is a path, the file's bytes, or a binary file object (read from its current
    position to the end, not closed). The file is read a chunk at a time: memory stays flat
    for a file of any size. ``max_problems`` stops reading once that many are found.

    Raises :class:`NachaValidationError` only when the file cannot be opened or read, and
    ``TypeError`` for a source of the wrong type.

    Example::

        for problem in nacha.validate("payroll.ach"):
            print(problem)  # line 3, field 'amount' (columns 30-39): must be digits, got ...
    """
    problems: list[Problem] = []
    if max_problems is not None and max_problems < 1:
        raise ValueError("max_problems must be at least 1")

    def report(problem: Problem) -> None:
        problems.append(problem)
        if max_problems is not None and len(problems) >= max_problems:
            raise Enough

    checker = Checker(report)
    with open_source(source) as read:
        try:
            for raw, length in records(read):
                checker.feed(raw, length)
            checker.finish()
        except Enough:
            pass
    return _sorted(problems)


def parse(source: Source) -> NachaFile:
    """The NACHA file ``source`` (a path, bytes or a binary file object), parsed.

    Raises :class:`NachaValidationError` listing every problem when the file is not valid.

    Example::

        parsed = nacha.parse("payroll.ach")
        for entry in parsed.entries:
            print(entry.name, entry.direction, entry.amount)
    """
    problems: list[Problem] = []
    checker = Checker(problems.append, collect=True)
    with open_source(source) as read:
        for raw, length in records(read):
            checker.feed(raw, length)
        checker.finish()
    if problems or checker.result is None:
        raise NachaValidationError(_sorted(problems))
    return checker.result
