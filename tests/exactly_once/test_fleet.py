"""The fleet test (``fleet.py``): skewed clocks, SIGKILL and SIGSTOP, the world moved past
QBank's 24 hours mid-run, on SQLite and on a PostgreSQL server with a clock of its own. A short
version in the default run; 8 workers and 1,000 references under ``-m slow``
(``nox -s exactly_once``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..servers import missing
from .fleet import FAKETIME, FleetReport, run_fleet

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _faketime() -> None:
    if not FAKETIME.exists():
        missing("libfaketime", "faketime")


def check(report: FleetReport) -> None:
    print(report.format())
    assert report.ok, report.format()
    assert report.duplicates == report.lost == report.orphans == 0
    # The run was hostile: clocks 4 hours apart, kills, stops, and the world moved 25 hours.
    assert report.skews_hours[0] == -2.0 and report.skews_hours[-1] == 2.0
    assert report.kills > 0 and report.restarts > 0 and report.stops > 0
    assert report.paid_before_jump > 0 and report.payments > report.paid_before_jump
    # The stopped holder: reported reconcile, resumed, refused to send.
    assert report.sleeper_recover == "reconcile"
    assert report.sleeper.endswith("reconcile fleet-sleeper:000")
    # Every entry recover() left open at the end is reconcile, and reported.
    assert set(report.recovered) <= {"mid:reconcile", "end:reconcile"}


@pytest.mark.parametrize("journal", ["sqlite", "postgresql"])
def test_fleet_short(journal: str, tmp_path: Path) -> None:
    check(run_fleet(journal, tmp_path, references=40, workers=4, kills=2, stops=2))


@pytest.mark.slow
@pytest.mark.parametrize("journal", ["sqlite", "postgresql"])
def test_fleet_full(journal: str, tmp_path: Path) -> None:
    check(run_fleet(journal, tmp_path, references=1000, workers=8))
