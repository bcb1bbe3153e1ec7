"""The crash test (``crash.py``) on SQLite and PostgreSQL: a short version in the default run,
the full one (8 workers, 2,000 references) under ``-m slow`` (``nox -s exactly_once``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .crash import CrashReport, run_crash

pytestmark = pytest.mark.e2e


def check(report: CrashReport, references: int) -> None:
    print(report.format())
    assert report.ok, report.format()
    assert report.duplicates == report.lost == report.orphans == 0
    assert report.payments == references + report.tail  # exactly one payment per reference
    # The run really was hostile: workers died at random and right after QBank's commit, and
    # faults hit; the tail was left pending and recover() settled every entry of it.
    assert report.kills > 0 and report.self_kills > 0 and report.restarts > 0
    assert {"503", "drop", "latency"} <= set(report.faults)
    assert report.pending_before_recover == report.tail
    assert report.recovered == {"succeeded": report.tail}


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_crash_short(journal: str, tmp_path: Path) -> None:
    report = run_crash(journal, tmp_path, references=100, workers=2, kills=3, self_kills=3)
    check(report, 100)


@pytest.mark.slow
def test_crash_full(journal: str, tmp_path: Path) -> None:
    report = run_crash(journal, tmp_path, references=2000, workers=8)
    check(report, 2000)
