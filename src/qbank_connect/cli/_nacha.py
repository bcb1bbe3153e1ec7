"""``qbank nacha build`` and ``qbank nacha validate``, on :mod:`qbank_connect.nacha`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import BadInput, CommandFailed
from ._exit import ExitCode
from ._output import Format, emit, emit_many, note

if TYPE_CHECKING:
    from ..nacha import Problem

__all__ = ["build", "validate_file"]


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "line": problem.line,
        "field": problem.field,
        "columns": None if problem.columns is None else list(problem.columns),
        "message": problem.message,
    }


def validate_file(path: Path, fmt: Format) -> None:
    """List every problem of the file at ``path``; exit 11 if there is any."""
    from ..nacha import validate

    problems = validate(path)  # streamed; NachaValidationError (exit 1) if it cannot be read
    if not problems:
        note(f"{path}: valid NACHA file")
        emit({"file": str(path), "valid": True, "problems": []}, fmt)
        return
    emit_many([_problem(p) for p in problems], fmt)
    first = problems[0]
    raise CommandFailed(
        f"{path}: {len(problems)} problem(s), the first: {first}", ExitCode.NACHA_INVALID
    )


def build(csv_file: Path, output: str, fmt: Format, **originator: Any) -> None:
    """Build a NACHA file from the entries of ``csv_file``; write it to ``output`` (- stdout)."""
    from ..nacha import NachaValidationError, Originator, build_file, entries_from_csv

    try:
        originator["effective_date"] = date.fromisoformat(originator["effective_date"])
    except ValueError:
        raise BadInput(
            f"--effective-date must be YYYY-MM-DD, got {originator['effective_date']!r}"
        ) from None
    try:
        entries = entries_from_csv(csv_file)
        data = build_file(entries, Originator(**originator))
    except NachaValidationError as exc:
        raise CommandFailed(_build_failure(csv_file, exc), ExitCode.NACHA_INVALID) from None
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(data)
        emit({"file": output, "entries": len(entries), "bytes": len(data)}, fmt)


def _build_failure(csv_file: Path, error: Any) -> str:
    """Why ``nacha build`` wrote nothing: every bad cell of the CSV, by line and column."""
    problems = error.problems
    if error.what != "CSV file" or any(p.field == "file" for p in problems):
        return f"cannot build the file: {error}"
    cells = "; ".join(
        f"line {p.line}, {p.field}: {p.message}" if p.line else f"{p.field}: {p.message}"
        for p in problems
    )
    noun = "problem" if len(problems) == 1 else "problems"
    return f"cannot build the file, nothing written: {csv_file} has {len(problems)} {noun}: {cells}"
