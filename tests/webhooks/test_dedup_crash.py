"""Receivers SIGKILLed mid-handler lose no event and handle none twice (issue 17, item 5).

QBank is played by this test: two receiver processes (one on the blocking
``EventDeduplicator``, one on ``AsyncEventDeduplicator``) each get every one of N signed events
three times, in their own shuffled orders, at the same time, sharing one store (SQLite, Redis,
PostgreSQL). One handler in ten SIGKILLs its own process mid-handler (a real signal: the claim
is left to its lease, the effect never made). A killed receiver is started again at once with
the deliveries it had not answered, the one in flight first. A delivery not answered 200 (no
answer, or 409 because another receiver held the event) is sent again in the next round, after
the lease, as QBank retries. Each handler's effect is one line appended to a ledger file: at
the end every event is in it exactly once, and every event is recorded as handled (inside the
retention). Default: N = 100 on each store; ``slow``: N = 1,000."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qbank_connect.webhooks import EventDeduplicator

ROOT = Path(__file__).resolve().parents[2]
LEASE = 3.0  # seconds; far longer than a handler here, so only a killed one runs out
KILL_EVERY = 10  # one handler in ten is SIGKILLed, the first time it runs
COPIES = 3
MAX_ROUNDS = 15


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/events.db"
    return str(request.getfixturevalue(f"{kind}_url"))


class Receivers:
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.dir = tmp_path
        self.ledger = tmp_path / "ledger"
        (tmp_path / "markers").mkdir()
        self.runs = 0
        self.kills = 0
        self.answers: Counter[int] = Counter()

    def start(
        self, number: int, deliveries: list[list[Any]]
    ) -> tuple[subprocess.Popen[bytes], Path]:
        self.runs += 1
        answers = self.dir / f"answers-{self.runs}"
        spec = {
            "store": self.url,
            "mode": "blocking" if number == 0 else "async",
            "lease": LEASE,
            "kill_every": KILL_EVERY,
            "deliveries": deliveries,
            "ledger": str(self.ledger),
            "work": str(self.dir / "work"),
            "markers": str(self.dir / "markers"),
            "answers": str(answers),
        }
        path = self.dir / f"spec-{self.runs}.json"
        path.write_text(json.dumps(spec))
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.webhooks.dedup_receiver", str(path)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        return process, answers

    def round(self, todo: dict[int, list[list[Any]]]) -> dict[int, list[list[Any]]]:
        """Send each receiver its deliveries; the ones not answered 200 are returned."""
        answered: dict[int, dict[str, int]] = {n: {} for n in todo}
        running = {n: self.start(n, todo[n]) for n in todo if todo[n]}
        while running:
            for number, (process, answers) in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                _, err = process.communicate()
                if answers.exists():
                    for line in answers.read_text().splitlines():
                        delivery_id, status = line.split()
                        answered[number][delivery_id] = int(status)
                        self.answers[int(status)] += 1
                if code == -signal.SIGKILL:
                    self.kills += 1
                    rest = [d for d in todo[number] if d[0] not in answered[number]]
                    running[number] = self.start(number, rest)  # the one in flight first
                else:
                    assert code == 0, err.decode()[-3000:]
                    del running[number]
            time.sleep(0.01)
        return {n: [d for d in todo[n] if answered[n].get(d[0]) != 200] for n in todo}


@pytest.mark.parametrize(
    ("kind", "events"),
    [
        ("sqlite", 100),
        ("redis", 100),
        ("postgres", 100),
        pytest.param("sqlite", 1000, marks=pytest.mark.slow),
        pytest.param("redis", 1000, marks=pytest.mark.slow),
        pytest.param("postgres", 1000, marks=pytest.mark.slow),
    ],
)
def test_receivers_killed_mid_handler_handle_every_event_once(
    kind: str, events: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = store_url(kind, request, tmp_path)
    receivers = Receivers(url, tmp_path)
    todo: dict[int, list[list[Any]]] = {}
    for number in (0, 1):
        plan = [[f"whd_{number}_{i}_{c}", i] for i in range(events) for c in range(COPIES)]
        random.Random(number).shuffle(plan)
        todo[number] = plan
    started = time.monotonic()
    rounds = 0
    while any(todo.values()):
        rounds += 1
        assert rounds <= MAX_ROUNDS, f"deliveries still unanswered: {todo}"
        if rounds > 1:
            time.sleep(LEASE + 0.5)  # QBank's retry comes later than the lease
        todo = receivers.round(todo)
    elapsed = time.monotonic() - started

    ledger = Counter(receivers.ledger.read_text().splitlines())
    expected = {f"evt_{i:05d}" for i in range(events)}
    killed = len(os.listdir(tmp_path / "markers"))
    print(
        f"\n{kind}: {events} events x {COPIES} x 2 receivers; "
        f"{receivers.answers.total() + receivers.kills} deliveries ({receivers.answers[200]} "
        f"answered 200, {receivers.answers[409]} 409, {receivers.kills} SIGKILLed in flight), "
        f"{rounds} rounds, {elapsed:.1f} s; ledger: "
        f"{len(ledger)} events, {sum(n > 1 for n in ledger.values())} twice, "
        f"{len(expected - set(ledger))} lost"
    )
    assert set(ledger) == expected  # every event handled: none lost to a killed handler
    assert set(ledger.values()) == {1}  # none handled twice
    assert killed == receivers.kills == events // KILL_EVERY  # the kills really happened
    with EventDeduplicator(store=url) as dedup:  # recorded as handled, inside the retention
        assert all(dedup.handled(event_id) for event_id in expected)
        assert dedup.count() == events
