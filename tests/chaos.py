"""The chaos run: both clients pay at once over a real socket while the sandbox breaks things.

    python -m tests.chaos                        # 2,000 payments (what `nox -s chaos` runs)
    python -m tests.chaos --payments 10000       # the long run
    python -m tests.chaos --payments 300 --backend trio --seed 3

ACH payments, wires and transfers are submitted concurrently by the blocking client (a pool of
threads) and the async client (a pool of tasks on asyncio or trio, in its own thread), against
one :class:`~qbank_connect.sandbox.Sandbox` served on 127.0.0.1. The sandbox injects, at random
(seeded), 500/502/503/504, 429 with ``Retry-After``, latency longer than the client's timeout,
and "commit, then drop the connection". Afterwards the client's records are compared with the
sandbox's ledger:

* **0 duplicates**: no idempotency key has more than one payment;
* **0 silent losses**: every call either returned a ``Payment`` that the ledger holds under the
  call's key, or raised a named ``QBankError`` carrying the key (the caller's own key when it
  passed one); no payment exists under a key no call knows about;
* **recovery**: with faults off, calling again with the key of every failed call ends with
  exactly one payment per key (the same payment, when the first call had already made it).

:func:`run_chaos` returns a :class:`ChaosReport` (``.problems`` lists every broken invariant;
``.format()`` gives the figures). ``tests/test_chaos.py`` runs a short version in the default
suite; ``nox -s chaos`` runs this module.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import anyio

from qbank_connect import AsyncQBankConnect, QBankConnect
from qbank_connect.errors import QBankError
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
)

__all__ = ["ChaosReport", "run_chaos"]

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
KINDS = ("ach", "wire", "transfer")


@dataclass
class CallRecord:
    """What the client saw for one call."""

    index: int
    client: str  # "sync" or "async"
    kind: str  # "ach", "wire" or "transfer"
    body: dict[str, Any]
    given_key: str | None  # the key the caller passed, if any
    key: str | None = None  # the key on the result or on the error
    payment_id: str | None = None
    replayed: bool = False
    retries: int = 0
    error: BaseException | None = None


@dataclass
class ChaosReport:
    payments: int
    backend: str
    seed: int
    seconds: float = 0.0
    calls: int = 0
    by_client: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    faults: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    successes: int = 0
    replayed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    losses: int = 0
    orphans: int = 0
    ledger_payments: int = 0
    recovery_calls: int = 0
    recovered_existing: int = 0  # the failed call had made the payment: the retry returned it
    recovered_new: int = 0  # the failed call had not: the retry made it, once
    recovery_errors: Counter[str] = field(default_factory=Counter)
    final_duplicates: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        def counts(counter: Any) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"

        lines = [
            f"chaos run: {self.payments} payments, backend {self.backend}, seed {self.seed}, "
            f"{self.seconds:.1f} s",
            f"  calls:              {self.calls} ({counts(self.by_client)}; {counts(self.by_kind)})",
            f"  faults injected:    {sum(self.faults.values())} ({counts(self.faults)})",
            f"  retries taken:      {self.retries}",
            f"  successes:          {self.successes} ({self.replayed} answered by a replay)",
            f"  errors (named):     {sum(self.errors.values())} ({counts(self.errors)})",
            f"  duplicates:         {self.duplicates}",
            f"  silent losses:      {self.losses} (+ {self.orphans} payments under unknown keys)",
            f"  ledger payments:    {self.ledger_payments}",
            f"  recovery retries:   {self.recovery_calls}: {self.recovered_existing} returned the "
            f"payment already made, {self.recovered_new} made it now, errors: "
            f"{counts(self.recovery_errors)}",
            f"  duplicates after:   {self.final_duplicates}",
            f"  result:             {'OK' if self.ok else 'FAILED'}",
        ]
        lines.extend(f"  problem: {p}" for p in self.problems[:20])
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more problems")
        return "\n".join(lines)


def _body(index: int, rng: random.Random) -> dict[str, Any]:
    amount = f"{rng.randint(1, 40)}.{rng.randint(0, 99):02d}"  # small: funds never run out
    return payment_body(KINDS[index % 3], index, amount, memo=f"chaos {index}")


def payment_body(kind: str, index: int, amount: str, *, memo: str) -> dict[str, Any]:
    """Instruction ``index`` of a run: an ACH payment, a wire or a transfer (also the crash test's)."""
    if kind == "ach":
        return {
            "source_account_id": ACCOUNT_OPERATING,
            "recipient_details": {
                "name": "Acme Supplies",
                "routing_number": "021000021",
                "account_number": f"{100000000 + index}",
                "account_type": "checking",
            },
            "amount": amount,
            "effective_date": "2026-11-23",
            "memo": memo,
        }
    if kind == "wire":
        return {
            "source_account_id": ACCOUNT_OPERATING,
            "amount": amount,
            "currency": "USD",
            "beneficiary": {
                "name": "Globex GmbH",
                "account_number": "DE89370400440532013000",
                "bic": "COBADEFFXXX",
            },
        }
    source, destination = (
        (ACCOUNT_OPERATING, ACCOUNT_PAYROLL) if index % 2 else (ACCOUNT_PAYROLL, ACCOUNT_OPERATING)
    )
    return {
        "source_account_id": source,
        "destination_account_id": destination,
        "amount": amount,
        "memo": memo,
    }


def _sync_method(client: QBankConnect, kind: str) -> Callable[..., Any]:
    raw = client.with_raw_response
    return {
        "ach": raw.payments.create_ach,
        "wire": raw.payments.create_wire,
        "transfer": raw.transfers.create,
    }[kind]


def _async_method(client: AsyncQBankConnect, kind: str) -> Callable[..., Any]:
    raw = client.with_raw_response
    return {
        "ach": raw.payments.create_ach,
        "wire": raw.payments.create_wire,
        "transfer": raw.transfers.create,
    }[kind]


def _record_result(record: CallRecord, raw: Any) -> None:
    payment = raw.parse()
    record.key = raw.idempotency_key
    record.payment_id = payment.id
    record.replayed = raw.replayed
    record.retries = raw.retries_taken


def _record_error(record: CallRecord, error: BaseException) -> None:
    record.error = error
    record.key = getattr(error, "idempotency_key", None)
    record.retries = getattr(error, "retries_taken", 0)


def _run_sync(
    records: list[CallRecord], base_url: str, threads: int, options: dict[str, Any]
) -> None:
    with QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, **options) as client:
        client.authenticate()
        pending = iter(records)
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    record = next(pending, None)
                if record is None:
                    return
                try:
                    raw = _sync_method(client, record.kind)(
                        request=record.body, idempotency_key=record.given_key
                    )
                    _record_result(record, raw)
                except Exception as exc:  # anything, named or not: judged afterwards
                    _record_error(record, exc)

        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(worker) for _ in range(threads)]:
                future.result()


async def _run_async(
    records: list[CallRecord], base_url: str, tasks: int, options: dict[str, Any]
) -> None:
    async with AsyncQBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, **options
    ) as client:
        await client.authenticate()
        pending = iter(records)

        async def worker() -> None:
            for record in pending:  # one iterator shared by every task
                try:
                    raw = await _async_method(client, record.kind)(
                        request=record.body, idempotency_key=record.given_key
                    )
                    _record_result(record, raw)
                except Exception as exc:
                    _record_error(record, exc)

        async with anyio.create_task_group() as tg:
            for _ in range(tasks):
                tg.start_soon(worker)


def _concurrently(
    sync_job: Callable[[], None], async_job: Callable[[], None], limit: float
) -> None:
    """Both jobs at once, each in its own thread; raise if either fails or outlives ``limit``."""
    failures: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except BaseException as exc:
                failures.append(exc)

        return run

    workers = [
        threading.Thread(target=guarded(job), name=f"chaos-{name}", daemon=True)
        for name, job in (("sync", sync_job), ("async", async_job))
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + limit
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            raise TimeoutError(f"{worker.name} still running after {limit:.0f} s")
    if failures:
        raise failures[0]


def run_chaos(
    payments: int = 300,
    *,
    seed: int = 7,
    backend: str = "asyncio",
    rate: float = 0.3,
    threads: int = 8,
    tasks: int = 16,
    timeout: float = 0.75,
    latency: float = 1.5,
    retry_after: int = 1,
    max_retries: int = 2,
    time_limit: float | None = None,
) -> ChaosReport:
    """Run the chaos scenario with ``payments`` calls, half per client; see the module doc.

    ``timeout`` is the client's (read) timeout; injected latency is ``latency`` (longer), so a
    slow call times out while the sandbox still executes it. 429 and 503 carry
    ``Retry-After: retry_after``."""
    rng = random.Random(seed)
    records: list[CallRecord] = []
    for index in range(payments):
        # Every other pair of calls passes its own key; the others let the SDK make one.
        given = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if (index // 3) % 2 else None
        records.append(
            CallRecord(
                index=index,
                client="sync" if index % 2 == 0 else "async",
                kind=KINDS[index % 3],
                body=_body(index, rng),
                given_key=given,
            )
        )
    sync_records = [r for r in records if r.client == "sync"]
    async_records = [r for r in records if r.client == "async"]
    options: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries}
    report = ChaosReport(payments=payments, backend=backend, seed=seed)
    limit = time_limit if time_limit is not None else 120 + payments * 0.1

    started = time.monotonic()
    with Sandbox(start=START, seed=seed) as sandbox, sandbox.serve() as server:
        base_url = server.base_url
        sandbox.faults.chaos(rate=rate, seed=seed, latency=latency, retry_after=retry_after)
        _concurrently(
            lambda: _run_sync(sync_records, base_url, threads, options),
            lambda: anyio.run(_run_async, async_records, base_url, tasks, options, backend=backend),
            limit,
        )
        sandbox.faults.clear()
        report.faults = sandbox.faults.injected
        # Calls that timed out may still be executing in the sandbox: let them finish.
        settle = time.monotonic() + latency + 10
        while sandbox.in_flight_keys() and time.monotonic() < settle:
            time.sleep(0.05)
        if sandbox.in_flight_keys():
            report.problems.append(f"{len(sandbox.in_flight_keys())} keys still in flight")

        _judge(report, records, sandbox)
        _recover(report, records, sandbox, base_url, backend, limit)
    report.seconds = time.monotonic() - started
    return report


def _is_uuid4(value: object) -> bool:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value


def _judge(report: ChaosReport, records: list[CallRecord], sandbox: Sandbox) -> None:
    ledger = {entry.payment_id: entry for entry in sandbox.ledger()}
    by_key = sandbox.payments_by_key()
    report.ledger_payments = sum(1 for e in ledger.values() if e.idempotency_key is not None)
    report.calls = len(records)
    report.duplicates = sum(len(ids) - 1 for ids in by_key.values() if len(ids) > 1)
    if report.duplicates:
        report.problems.append(f"{report.duplicates} duplicate payments")
    known_keys: set[str] = set()
    seen_keys: Counter[str] = Counter()
    for record in records:
        report.by_client[record.client] += 1
        report.by_kind[record.kind] += 1
        report.retries += record.retries
        lost = None
        if record.key is not None:
            seen_keys[record.key] += 1
            known_keys.add(record.key)
        if record.given_key is not None and record.key != record.given_key:
            lost = f"key {record.key!r} is not the key passed, {record.given_key}"
        elif record.error is None:
            report.successes += 1
            report.replayed += record.replayed
            if record.payment_id not in ledger:
                lost = f"returned payment {record.payment_id} that the ledger does not hold"
            elif by_key.get(record.key or "") != [record.payment_id]:
                lost = f"payment {record.payment_id} is not the ledger's for key {record.key}"
        else:
            report.errors[type(record.error).__name__] += 1
            if not isinstance(record.error, QBankError):
                lost = f"unnamed error {type(record.error).__name__}: {record.error}"
            elif not _is_uuid4(record.key):
                lost = f"{type(record.error).__name__} carries no idempotency key: {record.error}"
        if lost is not None:
            report.losses += 1
            report.problems.append(f"call {record.index} ({record.client} {record.kind}): {lost}")
    reused = [key for key, n in seen_keys.items() if n > 1]
    if reused:
        report.problems.append(f"{len(reused)} keys were used by more than one call")
    orphans = [key for key in by_key if key not in known_keys]
    report.orphans = len(orphans)
    if orphans:
        report.problems.append(
            f"{len(orphans)} payments under keys no call reported: {orphans[:3]}"
        )


def _recover(
    report: ChaosReport,
    records: list[CallRecord],
    sandbox: Sandbox,
    base_url: str,
    backend: str,
    limit: float,
) -> None:
    """Call again, faults off, with the key of every failed call, on the client that failed."""
    failed = [r for r in records if r.error is not None and _is_uuid4(r.key)]
    before = sandbox.payments_by_key()
    retried = [CallRecord(r.index, r.client, r.kind, r.body, given_key=r.key) for r in failed]
    report.recovery_calls = len(retried)
    options: dict[str, Any] = {"timeout": 10.0, "max_retries": 2}
    _concurrently(
        lambda: _run_sync([r for r in retried if r.client == "sync"], base_url, 4, options),
        lambda: anyio.run(
            _run_async,
            [r for r in retried if r.client == "async"],
            base_url,
            4,
            options,
            backend=backend,
        ),
        limit,
    )
    after = sandbox.payments_by_key()
    report.final_duplicates = sum(len(ids) - 1 for ids in after.values() if len(ids) > 1)
    if report.final_duplicates:
        report.problems.append(f"{report.final_duplicates} duplicate payments after recovery")
    for record in retried:
        key = record.given_key or ""
        made_before = before.get(key, [])
        ids = after.get(key, [])
        if record.error is not None:
            report.recovery_errors[type(record.error).__name__] += 1
            report.problems.append(
                f"recovery of call {record.index} failed: {type(record.error).__name__}: "
                f"{record.error}"
            )
            continue
        if ids != [record.payment_id]:
            report.problems.append(
                f"recovery of call {record.index}: got {record.payment_id}, ledger has {ids}"
            )
        elif made_before:
            report.recovered_existing += 1
        else:
            report.recovered_new += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The qbank-connect chaos run (see tests/chaos.py)."
    )
    parser.add_argument("--payments", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--rate", type=float, default=0.3, help="fraction of calls faulted")
    parser.add_argument("--threads", type=int, default=None, help="sync client threads")
    parser.add_argument("--tasks", type=int, default=None, help="async client tasks")
    args = parser.parse_args(argv)
    scale = 1 if args.payments <= 500 else 2 if args.payments <= 3000 else 4
    report = run_chaos(
        args.payments,
        seed=args.seed,
        backend=args.backend,
        rate=args.rate,
        threads=args.threads or 8 * scale,
        tasks=args.tasks or 16 * scale,
    )
    print(report.format(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
