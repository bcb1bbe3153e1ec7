"""Processes racing on one journal (SQLite file, PostgreSQL): every reference gets one entry and
one outcome, whichever process wins, and every process sees the winner. Each process claims
with a body of its own and records an outcome of its own, so an insert or an update that
overwrote another process's would show as processes that disagree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, os, sys
from datetime import datetime, timezone
from qbank_connect import idempotency_key_for
from qbank_connect._stores.journal import (
    JournalEntry, JournalOutcome, journal_scope, json_body_record,
)
from qbank_connect._sync.stores.journal import open_journal
url, count, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
journal = open_journal(url)
scope = journal_scope("https://bank.test/v1", "c1", journal_key="k", client_secret=None)
journal.pending(scope)  # connected
print("ready", flush=True)
sys.stdin.readline()  # all start together
seen = {}
text, digest = json_body_record(b'{"amount": "1.00"}')
for n in range(count):
    reference = f"race:{(start + n) % count}"  # each process in its own order
    mine = JournalEntry(reference, "createAchPayment", idempotency_key_for("x", reference),
                        digest, json.dumps({"pid": os.getpid()}), datetime.now(timezone.utc))
    won = journal.claim(scope, mine)
    journal.settle(scope, won, JournalOutcome(201, json.dumps({"by": os.getpid()}), True))
    seen[reference] = [won.body, journal.get(scope, "createAchPayment", reference).outcome.body]
journal.close()
print(json.dumps(seen))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    found: str = request.getfixturevalue("postgres_url")
    return found


def test_processes_agree_on_every_entry_and_outcome(url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, "80", str(20 * k)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in range(4)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    views = []
    for child in children:
        out, _ = child.communicate(timeout=300)
        assert child.returncode == 0
        views.append(json.loads(out))
    pids = {child.pid for child in children}
    for reference in views[0]:
        bodies = {tuple(view[reference]) for view in views}
        assert len(bodies) == 1, (reference, bodies)  # one entry, one outcome, seen by all
        body, outcome = bodies.pop()
        assert json.loads(body)["pid"] in pids and json.loads(outcome)["by"] in pids
    assert len(views[0]) == 80
