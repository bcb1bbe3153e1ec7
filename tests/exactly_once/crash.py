"""The crash test: worker processes pay references through a journal while they are SIGKILLed.

    python -m tests.exactly_once.crash --journal sqlite                 # 8 workers, 2,000 refs
    python -m tests.exactly_once.crash --journal postgresql://...       # the same on PostgreSQL
    python -m tests.exactly_once.crash --references 100 --workers 2     # the short version

The sandbox is served on 127.0.0.1 by this process; the workers (``worker.py``, half on the
blocking client, half on the async one) are separate processes that reach it over the socket.
Every reference is paid by two workers (its own and its neighbour, in opposite orders). While
they run, the sandbox injects faults at random (commit-then-drop, 503, latency longer than the
client's timeout), this process SIGKILLs a random worker every few tenths of a second, and each
worker's journal SIGKILLs its own process now and then right after QBank committed a payment
and before the outcome is written. Killed workers are restarted and start their shard again.
A tail of references is then left pending as a crash would leave it (see ``worker.py``), and
``client.recover()`` settles the journal. The sandbox's ledger must then hold exactly one
payment per reference: 0 duplicates, 0 references lost, and the journal must record that
payment for each one.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect.journal import EntryState
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from . import plan

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@dataclass
class CrashReport:
    backend: str
    references: int
    workers: int
    tail: int
    seconds: float = 0.0
    kills: int = 0
    """SIGKILLs sent by the test at random moments."""
    self_kills: int = 0
    """SIGKILLs between QBank's commit and the journal's write of the outcome."""
    restarts: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    pending_before_recover: int = 0
    recovered: Counter[str] = field(default_factory=Counter)
    payments: int = 0
    duplicates: int = 0
    lost: int = 0
    orphans: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"
        recovered = ", ".join(f"{k} {v}" for k, v in sorted(self.recovered.items())) or "none"
        lines = [
            f"crash test ({self.backend}): {self.references + self.tail} references, "
            f"{self.workers} workers, {self.seconds:.1f} s",
            f"  SIGKILLs:            {self.kills + self.self_kills} ({self.kills} at random, "
            f"{self.self_kills} between QBank's commit and the journal's write); "
            f"{self.restarts} restarts",
            f"  faults injected:     {sum(self.faults.values())} ({faults})",
            f"  left pending:        {self.pending_before_recover} (tail of {self.tail})",
            f"  recover():           {recovered}",
            f"  ledger payments:     {self.payments}",
            f"  duplicates:          {self.duplicates}",
            f"  references lost:     {self.lost} (+ {self.orphans} payments under unknown keys)",
            f"  result:              {'OK' if self.ok else 'FAILED'}",
        ]
        lines.extend(f"  problem: {p}" for p in self.problems[:20])
        return "\n".join(lines)


def _worker(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.exactly_once.worker", *args, "--log", str(log)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def run_crash(
    journal: str,
    workdir: Path,
    *,
    references: int = 2000,
    workers: int = 8,
    tail: int | None = None,
    seed: int = 1,
    kills: int | None = None,
    self_kills: int | None = None,
    fault_rate: float = 0.15,
    timeout: float = 0.5,
    time_limit: float = 1200.0,
) -> CrashReport:
    """Run the crash test on ``journal`` (``"sqlite"`` for a file in ``workdir``, or a
    ``postgresql://`` URL of an empty database); see the module doc."""
    if journal == "sqlite":
        journal = f"sqlite:///{workdir / 'journal.db'}"
    backend = "SQLite" if journal.startswith("sqlite:") else "PostgreSQL"
    tail = max(3, references // 20) if tail is None else tail
    kills = max(4, references // 40) if kills is None else kills
    self_kills = max(4, references // 40) if self_kills is None else self_kills
    # The test's own SIGKILLs fall at evenly spaced points of progress (payments in the ledger),
    # on a random worker, at a random moment of its call.
    thresholds = [references * (k + 1) // (kills + 1) for k in range(kills)]
    report = CrashReport(backend, references, workers, tail)
    rng = random.Random(seed)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), str(ROOT)]))
    started = time.monotonic()
    with Sandbox(start=START, seed=seed) as sandbox, sandbox.serve() as server:
        common = ["--journal", journal, "--base-url", server.base_url, "--timeout", str(timeout)]
        sandbox.faults.chaos(
            rate=fault_rate,
            kinds=("503", "drop", "latency"),
            seed=seed,
            latency=timeout * 2,
            retry_after=0,
        )
        logs = [workdir / f"worker-{w}.log" for w in range(workers)]

        armed = 0  # incarnations told to SIGKILL themselves after a commit

        def start(w: int) -> subprocess.Popen[bytes]:
            nonlocal armed
            at = 0
            if armed < self_kills:
                armed += 1
                at = rng.randint(1, max(2, references // workers // 4))
            return _worker(
                [
                    *common,
                    *("--worker", str(w), "--workers", str(workers)),
                    *("--count", str(references), "--self-kill-at", str(at)),
                    *("--client", "sync" if w % 2 == 0 else "async"),
                ],
                logs[w],
                env,
            )

        running = {w: start(w) for w in range(workers)}
        deadline = started + time_limit
        while running:
            for w, process in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                if code == 0:
                    del running[w]
                elif code == -signal.SIGKILL:
                    report.restarts += 1
                    running[w] = start(w)
                else:
                    report.problems.append(
                        f"worker {w} exited {code}: {logs[w].read_text()[-2000:]}"
                    )
                    del running[w]
            now = time.monotonic()
            if thresholds and running and len(sandbox.payments_by_key()) >= thresholds[0]:
                time.sleep(rng.uniform(0, 0.05))
                victim = running[rng.choice(sorted(running))]
                if victim.poll() is None:
                    victim.send_signal(signal.SIGKILL)
                    report.kills += 1
                    thresholds.pop(0)
            if now > deadline:
                for process in running.values():
                    process.kill()
                    process.wait()
                report.problems.append(f"workers still running after {time_limit:.0f} s")
                break
            time.sleep(0.02)

        # The tail: calls that a crash leaves pending (worker.py --tail), faults still on.
        tail_log = workdir / "tail.log"
        tail_worker = _worker(
            [
                *common,
                "--worker",
                "0",
                "--workers",
                "1",
                "--count",
                str(references),
                "--tail",
                str(tail),
            ],
            tail_log,
            env,
        )
        if tail_worker.wait(time_limit) != 0:
            report.problems.append(f"the tail worker failed: {tail_log.read_text()[-2000:]}")

        sandbox.faults.clear()
        report.faults = dict(sandbox.faults.injected)
        settle = time.monotonic() + timeout * 2 + 10
        while sandbox.in_flight_keys() and time.monotonic() < settle:
            time.sleep(0.05)
        report.self_kills = sum(log.read_text().count("self-kill ") for log in logs)

        with QBankConnect(
            DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=server.base_url, journal=journal
        ) as client:
            assert client.journal is not None
            report.pending_before_recover = len(client.journal.pending())
            for result in client.recover():
                report.recovered[result.action] += 1
                if result.action != "succeeded":
                    report.problems.append(
                        f"recover(): {result.reference} {result.action}: {result.error}"
                    )
            _judge(report, client, sandbox, references + tail)
    report.seconds = time.monotonic() - started
    return report


def _judge(report: CrashReport, client: QBankConnect, sandbox: Sandbox, count: int) -> None:
    by_key = sandbox.payments_by_key()
    report.payments = sum(len(ids) for ids in by_key.values())
    expected = {
        idempotency_key_for(plan.OPERATIONS[plan.kind(i)], plan.reference(i)): i
        for i in range(count)
    }
    report.duplicates = sum(len(ids) - 1 for ids in by_key.values() if len(ids) > 1)
    if report.duplicates:
        report.problems.append(f"{report.duplicates} duplicate payments")
    report.orphans = sum(1 for key in by_key if key not in expected)
    if report.orphans:
        report.problems.append(f"{report.orphans} payments under keys of no reference")
    assert client.journal is not None
    for key, index in expected.items():
        ids = by_key.get(key, [])
        entry = client.journal.get(plan.OPERATIONS[plan.kind(index)], plan.reference(index))
        if not ids:
            report.lost += 1
            report.problems.append(f"{plan.reference(index)}: no payment")
            continue
        if entry is None or entry.state is not EntryState.SUCCEEDED or entry.outcome is None:
            report.lost += 1
            report.problems.append(f"{plan.reference(index)}: the journal has {entry}")
            continue
        import json

        recorded = json.loads(entry.outcome.body)["id"]
        if recorded not in ids:
            report.lost += 1
            report.problems.append(
                f"{plan.reference(index)}: the journal records {recorded}, the ledger {ids}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The exactly-once crash test.")
    parser.add_argument("--journal", default="sqlite", help="'sqlite' or a postgresql:// URL")
    parser.add_argument("--references", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        report = run_crash(
            args.journal,
            Path(args.workdir or scratch),
            references=args.references,
            workers=args.workers,
            seed=args.seed,
        )
    print(report.format(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
