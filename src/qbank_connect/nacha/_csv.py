"""Entries out of a spreadsheet export: one CSV row per entry, every bad cell reported."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Generator
from contextlib import contextmanager
from typing import IO

from ._model import Entry, NachaValidationError, Problem

__all__ = ["entries_from_csv"]

REQUIRED = ("name", "routing_number", "account_number", "account_type", "amount")
OPTIONAL = ("direction", "individual_id")


@contextmanager
def _text(source: str | os.PathLike[str] | IO[str]) -> Generator[IO[str], None, None]:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            file = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            problem = Problem(0, "file", None, f"cannot open {path!r}: {exc.strerror or exc}")
            raise NachaValidationError([problem], what="CSV file") from None
        with file:
            yield file
    elif isinstance(source, (bytes, bytearray, io.BufferedIOBase)):
        raise TypeError("entries_from_csv takes a path or a text stream (open it with 'r')")
    elif callable(getattr(source, "read", None)):
        yield source
    else:
        raise TypeError(f"source must be a path or a text stream, not {type(source).__name__}")


def entries_from_csv(source: str | os.PathLike[str] | IO[str]) -> list[Entry]:
    """The entries of a CSV file with a header row.

    Columns: ``name, routing_number, account_number, account_type, amount`` and optionally
    ``direction`` (``credit``, the default, or ``debit``) and ``individual_id``; other columns
    are ignored. Every bad cell is reported at once, as a :class:`NachaValidationError` whose
    problems name the CSV line and the column.

    Example::

        entries = entries_from_csv("payroll.csv")
        data = build_file(entries, originator)
    """
    entries: list[Entry] = []
    problems: list[Problem] = []
    with _text(source) as stream:
        try:
            reader = csv.DictReader(stream)
            columns = reader.fieldnames
            if columns is None:
                raise NachaValidationError(
                    [Problem(1, "header", None, "the CSV file is empty")], what="CSV file"
                )
            names = [c.strip().lower() for c in columns]
            missing = [c for c in REQUIRED if c not in names]
            if missing:
                problems = [Problem(1, c, None, "the column is missing") for c in missing]
                raise NachaValidationError(problems, what="CSV file")
            reader.fieldnames = names
            for row in reader:
                line = reader.line_num
                if None in row:
                    problems.append(Problem(line, "row", None, "has more cells than the header"))
                values = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
                if not any(values.values()):
                    continue  # a blank line
                entry = _entry(line, values, problems)
                if entry is not None:
                    entries.append(entry)
        except csv.Error as exc:
            problems.append(Problem(0, "file", None, f"is not a readable CSV file: {exc}"))
        except UnicodeDecodeError:
            problems.append(Problem(0, "file", None, "is not UTF-8 text"))
    if problems:
        raise NachaValidationError(problems, what="CSV file")
    if not entries:
        raise NachaValidationError([Problem(1, "row", None, "no entries")], what="CSV file")
    return entries


def _entry(line: int, values: dict[str, str], problems: list[Problem]) -> Entry | None:
    before = len(problems)
    arguments: dict[str, object] = {}
    for column in REQUIRED + OPTIONAL:
        value = values.get(column, "")
        if column in OPTIONAL and not value:
            continue
        if column in ("account_type", "direction"):
            value = value.lower()
        try:
            # each cell alone, so each problem names its column
            Entry(**{**_SAMPLE, column: value})  # type: ignore[arg-type]
        except ValueError as exc:
            message = str(exc)
            if message.startswith(column + " "):
                message = message[len(column) + 1 :]
            problems.append(Problem(line, column, None, message))
        arguments[column] = value
    if len(problems) != before:
        return None
    return Entry(**arguments)  # type: ignore[arg-type]


_SAMPLE: dict[str, object] = {
    "name": "X",
    "routing_number": "021000021",
    "account_number": "0000",
    "account_type": "checking",
    "amount": "1.00",
}
