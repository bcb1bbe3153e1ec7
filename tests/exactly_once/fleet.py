"""The fleet test: workers with skewed clocks, stopped and killed, across QBank's 24 hours.

    python -m tests.exactly_once.fleet --journal sqlite                       # the full run
    python -m tests.exactly_once.fleet --journal sqlite --references 60 --workers 4

Worker processes (``fleet_worker.py``, half on the blocking client, half on the async one) pay
references through one journal against the sandbox, served by this process on 127.0.0.1. Each
worker has a clock of its own (libfaketime reads a file per worker: skews spread from -2 h to
+2 h); on PostgreSQL the server gets one too. While they run, the sandbox injects faults
(commit-then-drop, 503, latency beyond the client's timeout, hence 409s), this process SIGKILLs
and restarts workers, and SIGSTOPs and SIGCONTs them, at random. Half-way, **the world moves 25
hours on**: the sandbox's clock (QBank forgets every key older than 24 hours of its own time),
every worker's clock and the database server's. A sleeper worker was stopped right after the
journal leased it an entry and before sending; once ``recover()`` (on the world's clock) has
reported that entry ``reconcile``, it is resumed: it must not send. At the end ``recover()``
runs again. The ledger must hold at most one payment per reference (0 duplicates), every
reference either has its payment recorded in the journal or an entry reported ``reconcile``
(0 lost), and no payment exists under a key of no reference.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from qbank_connect import idempotency_key_for
from qbank_connect.sandbox import Sandbox

from . import plan
from .fleet_worker import sleeper_reference

ROOT = Path(__file__).resolve().parents[2]
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
WORLD_JUMP = timedelta(hours=25)


@dataclass
class FleetReport:
    backend: str
    references: int
    workers: int
    skews_hours: list[float] = field(default_factory=list)
    seconds: float = 0.0
    kills: int = 0
    stops: int = 0
    restarts: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    paid_before_jump: int = 0
    refused_reconcile: int = 0
    """Calls the SDK refused to send (QBankReconciliationRequiredError) in the workers."""
    recovered: Counter[str] = field(default_factory=Counter)
    sleeper: str = ""
    sleeper_recover: str = ""
    payments: int = 0
    duplicates: int = 0
    lost: int = 0
    orphans: int = 0
    reconcile_reported: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        return "\n".join(
            [
                f"fleet test on {self.backend}: {self.workers} workers, skews (h) "
                f"{self.skews_hours}, {self.references} references, {self.seconds:.0f} s",
                f"  SIGKILLs {self.kills}, restarts {self.restarts}, SIGSTOP/SIGCONT {self.stops}",
                f"  faults injected {self.faults}",
                f"  world moved +25 h after {self.paid_before_jump} payments",
                f"  calls refused (reconcile) {self.refused_reconcile}; recover() {dict(self.recovered)}",
                f"  sleeper: recover said {self.sleeper_recover!r}, the resumed worker {self.sleeper!r}",
                f"  ledger payments {self.payments}, duplicates {self.duplicates}, lost "
                f"{self.lost}, orphans {self.orphans}, reported reconcile {self.reconcile_reported}",
                *(f"  PROBLEM: {p}" for p in self.problems[:20]),
            ]
        )


class Clocks:
    """One libfaketime clock file per process: its skew plus the world's offset."""

    def __init__(self) -> None:
        # Readable by every process, the database server's user included.
        self.workdir = Path(tempfile.mkdtemp(prefix="qbank-clocks-"))
        os.chmod(self.workdir, 0o755)
        self.world = 0.0
        self.skews: dict[str, float] = {}

    def env(self, name: str, skew: float) -> dict[str, str]:
        self.skews[name] = skew
        path = self.workdir / f"clock-{name}"
        self._write(name)
        os.chmod(path, 0o644)
        return {
            "LD_PRELOAD": str(FAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(path),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_RESET": "1",
        }

    def _write(self, name: str) -> None:
        path = self.workdir / f"clock-{name}"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{self.world + self.skews[name]:+.0f}\n")
        os.chmod(tmp, 0o644)
        tmp.replace(path)

    def advance(self, seconds: float) -> None:
        self.world += seconds
        for name in self.skews:
            self._write(name)


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.exactly_once.fleet_worker", *args, "--log", str(log)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stopped(process: subprocess.Popen[bytes]) -> bool:
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] == "T"


@contextlib.contextmanager
def _journal_url(journal: str, workdir: Path, clocks: Clocks) -> Iterator[str]:
    if journal == "sqlite":
        yield f"sqlite:///{workdir / 'journal.db'}"
        return
    # PostgreSQL with a clock of its own, moved with the world.
    from ..servers import postgres_server

    with postgres_server(env=clocks.env("postgres", 0.0)) as server:
        yield server.create_database()


def run_fleet(
    journal: str,
    workdir: Path,
    *,
    references: int = 1000,
    workers: int = 8,
    seed: int = 1,
    kills: int | None = None,
    stops: int | None = None,
    fault_rate: float = 0.1,
    timeout: float = 0.5,
    time_limit: float = 1200.0,
) -> FleetReport:
    """Run the fleet test on ``journal`` (``"sqlite"`` or ``"postgresql"``); see the module."""
    backend = "SQLite" if journal == "sqlite" else "PostgreSQL"
    report = FleetReport(backend, references, workers)
    kills = max(2, references // 50) if kills is None else kills
    stops = max(2, references // 50) if stops is None else stops
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    clocks = Clocks()
    base_env = dict(os.environ)
    base_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), str(ROOT)]))
    skews = [-7200.0 + 14400.0 * w / max(1, workers - 1) for w in range(workers)]  # -2 h .. +2 h
    report.skews_hours = [round(s / 3600, 2) for s in skews]
    # Progress points (payments in the ledger) for the SIGKILLs, the SIGSTOPs and the jump.
    kill_at = sorted(rng.randint(1, references - 1) for _ in range(kills))
    stop_at = sorted(rng.randint(1, references - 1) for _ in range(stops))
    jump_at = references // 2
    started = time.monotonic()
    now = datetime.now(timezone.utc)
    with (
        _journal_url(journal, workdir, clocks) as url,
        Sandbox(start=now, ticking=True, seed=seed, date_header=True) as sandbox,
        sandbox.serve() as server,
    ):
        common = ["--journal", url, "--base-url", server.base_url, "--timeout", str(timeout)]
        sandbox.faults.chaos(
            rate=fault_rate,
            kinds=("503", "drop", "latency"),
            seed=seed,
            latency=timeout * 2,
            retry_after=0,
        )
        logs = [workdir / f"worker-{w}.log" for w in range(workers)]

        def env_of(name: str, skew: float) -> dict[str, str]:
            return {**base_env, **clocks.env(name, skew)}

        def start(w: int) -> subprocess.Popen[bytes]:
            return _spawn(
                [
                    *common,
                    *("--mode", "pay", "--worker", str(w), "--workers", str(workers)),
                    *("--count", str(references)),
                    *("--client", "sync" if w % 2 == 0 else "async"),
                ],
                logs[w],
                env_of(f"w{w}", skews[w]),
            )

        def recover(name: str) -> list[list[str]]:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.exactly_once.fleet_worker",
                    *common,
                    *("--mode", "recover", "--log", str(workdir / f"{name}.log")),
                ],
                cwd=ROOT,
                env=env_of(name, 0.0),
                capture_output=True,
                timeout=time_limit,
            )
            if out.returncode != 0:
                report.problems.append(f"{name} failed: {out.stderr.decode()[-2000:]}")
            return [json.loads(line) for line in out.stdout.decode().splitlines() if line]

        # The sleeper: leased an entry, stopped before sending.
        sleeper_log = workdir / "sleeper.log"
        sleeper = _spawn(
            [*common, "--mode", "sleeper", "--count", "1", "--client", "sync"],
            sleeper_log,
            env_of("sleeper", 0.0),
        )
        deadline = time.monotonic() + 60
        while not _stopped(sleeper) and sleeper.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if not _stopped(sleeper):
            report.problems.append(f"the sleeper did not stop: {sleeper_log.read_text()[-500:]}")

        running = {w: start(w) for w in range(workers)}
        paused: dict[int, float] = {}
        jumped = False
        limit = started + time_limit
        while running:
            for w, process in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                paused.pop(w, None)
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
            for w, until in list(paused.items()):
                if time.monotonic() >= until and w in running:
                    running[w].send_signal(signal.SIGCONT)
                    del paused[w]
            progress = len(sandbox.payments_by_key())
            if kill_at and running and progress >= kill_at[0]:
                kill_at.pop(0)
                w = rng.choice(sorted(running))
                time.sleep(rng.uniform(0, 0.05))
                if running[w].poll() is None:
                    if w in paused:
                        running[w].send_signal(signal.SIGCONT)
                        del paused[w]
                    running[w].send_signal(signal.SIGKILL)
                    report.kills += 1
            if stop_at and running and progress >= stop_at[0]:
                stop_at.pop(0)
                w = rng.choice(sorted(running))
                if w not in paused and running[w].poll() is None:
                    running[w].send_signal(signal.SIGSTOP)
                    paused[w] = time.monotonic() + rng.uniform(0.2, 1.5)
                    report.stops += 1
            if not jumped and progress >= jump_at:
                jumped = True
                report.paid_before_jump = progress
                # 25 hours pass for everyone: QBank, the workers, the database, the sleeper.
                sandbox.advance(hours=WORLD_JUMP.total_seconds() / 3600)
                clocks.advance(WORLD_JUMP.total_seconds())
                if not url.startswith("sqlite:") and _database_ahead(url) < 24 * 3600:
                    report.problems.append("the database's clock did not move with the world")
                results = recover("recover-mid")
                mine = [a for a, ref in results if ref == sleeper_reference(0)]
                report.sleeper_recover = mine[0] if mine else "(not listed)"
                for action, _ in results:
                    report.recovered["mid:" + action] += 1
                sleeper.send_signal(signal.SIGCONT)
            if time.monotonic() > limit:
                for process in running.values():
                    process.send_signal(signal.SIGCONT)
                    process.kill()
                    process.wait()
                report.problems.append(f"workers still running after {time_limit:.0f} s")
                break
            time.sleep(0.02)
        for process in running.values():
            process.wait()
        if not jumped:
            report.problems.append("the world never moved: too few payments")
            sleeper.send_signal(signal.SIGCONT)
        if sleeper.wait(120) != 0:
            report.problems.append(f"the sleeper failed: {sleeper_log.read_text()[-2000:]}")
        report.sleeper = " | ".join(sleeper_log.read_text().split("\n")[:3]).strip(" |")

        sandbox.faults.clear()
        report.faults = dict(sandbox.faults.injected)
        settle = time.monotonic() + timeout * 2 + 10
        while sandbox.in_flight_keys() and time.monotonic() < settle:
            time.sleep(0.05)
        final = recover("recover-end")
        for action, _ in final:
            report.recovered["end:" + action] += 1
        report.refused_reconcile = sum(log.read_text().count("reconcile ") for log in logs)
        _judge(report, sandbox, url, final, references)
    shutil.rmtree(clocks.workdir, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _database_ahead(url: str) -> float:
    """How far the database's clock is ahead of this process's (seconds; SQLite: 0)."""
    if url.startswith("sqlite:"):
        return 0.0
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT extract(epoch from clock_timestamp())::float8").fetchone()
    assert row is not None
    return float(row[0]) - time.time()


def _judge(
    report: FleetReport, sandbox: Sandbox, url: str, final: list[list[str]], count: int
) -> None:
    by_key = sandbox.payments_by_key()
    report.payments = sum(len(ids) for ids in by_key.values())
    report.duplicates = sum(len(ids) - 1 for ids in by_key.values() if len(ids) > 1)
    if report.duplicates:
        report.problems.append(f"{report.duplicates} duplicate payments")
    expected = {
        idempotency_key_for(plan.OPERATIONS[plan.kind(i)], plan.reference(i)): plan.reference(i)
        for i in range(count)
    }
    sleeper_key = idempotency_key_for("createAchPayment", sleeper_reference(0))
    if by_key.get(sleeper_key):
        report.problems.append("the resumed sleeper sent its payment after reconcile")
    if "SENT" in report.sleeper or "stopping" not in report.sleeper:
        report.problems.append(f"sleeper: {report.sleeper}")
    if report.sleeper_recover != "reconcile":
        report.problems.append(f"recover() said {report.sleeper_recover!r} for the sleeper")
    report.orphans = sum(1 for key in by_key if key not in expected and key != sleeper_key)
    if report.orphans:
        report.problems.append(f"{report.orphans} payments under keys of no reference")
    reported = {reference for action, reference in final if action == "reconcile"}
    unsettled = [(a, r) for a, r in final if a != "reconcile"]
    if unsettled:
        report.problems.append(f"recover() left entries not reconcile: {unsettled[:5]}")
    report.reconcile_reported = len(reported)
    entries = _entries(url)
    for key, reference in expected.items():
        ids = by_key.get(key, [])
        entry = entries.get(reference)
        if entry is None:
            report.lost += 1
            report.problems.append(f"{reference}: no journal entry (payments {ids})")
            continue
        state, outcome_ok = entry
        if state == "succeeded" and ids and outcome_ok:
            continue
        if state == "reconcile" and reference in reported:
            continue  # reported: an operator looks it up (it may or may not have been paid)
        report.lost += 1
        report.problems.append(f"{reference}: journal {state}, ledger {ids}")


def _entries(url: str) -> dict[str, tuple[str, bool]]:
    """Each reference's state in the journal, read directly (no clock, no client)."""
    if url.startswith("sqlite:"):
        import sqlite3

        with contextlib.closing(sqlite3.connect(url[len("sqlite:///") :])) as conn:
            rows = conn.execute("SELECT reference, state, outcome FROM qbank_journal").fetchall()
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT reference, state, outcome FROM qbank_journal").fetchall()
    return {reference: (state, outcome is not None) for reference, state, outcome in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journal", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--references", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default="fleet-run")
    args = parser.parse_args(argv)
    report = run_fleet(
        args.journal,
        Path(args.workdir),
        references=args.references,
        workers=args.workers,
        seed=args.seed,
    )
    print(report.format())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
