"""One worker process of the fleet test (``fleet.py`` starts, stops, kills and restarts it).

    python -m tests.exactly_once.fleet_worker --journal URL --base-url URL --mode pay \
        --worker 0 --workers 8 --count 400 --client sync --log worker-0.log

Its clock is its own (libfaketime, set by ``fleet.py``). Modes:

- ``pay``: pays its shard (``plan.shard``) with ``reference=``. Transient failures are retried
  as an application would (the same call again); a ``QBankReconciliationRequiredError`` is
  logged (``reconcile <reference>``) and the worker moves on: the SDK refused to send.
- ``sleeper``: pays ``fleet-sleeper:<n>``, and SIGSTOPs itself right after the journal granted
  it the lease, before sending. It is resumed once the world has moved past QBank's retention
  and ``recover()`` reported the entry ``reconcile``: it must not send. Logs ``stopping`` and
  then what the call did (``reconcile``, or ``SENT``).
- ``recover``: runs ``client.recover()`` and prints one JSON line per result.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

import anyio

from qbank_connect import AsyncQBankConnect, QBankConnect
from qbank_connect.errors import (
    QBankConnectionError,
    QBankIdempotencyConflict,
    QBankInternalServerError,
    QBankRateLimitError,
    QBankReconciliationRequiredError,
)
from qbank_connect.journal import (
    AsyncPostgresJournal,
    AsyncSQLiteJournal,
    JournalEntry,
    JournalScope,
    PostgresJournal,
    SQLiteJournal,
)
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from . import plan

TRANSIENT = (
    QBankConnectionError,
    QBankInternalServerError,
    QBankRateLimitError,
    QBankIdempotencyConflict,
)


def log(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, (line + "\n").encode())
    os.close(fd)


def sleeper_reference(index: int) -> str:
    return f"fleet-sleeper:{index:03d}"


def _stop_after_lease(args: argparse.Namespace, entry: JournalEntry) -> None:
    if args.mode == "sleeper" and entry.lease_owner is not None and not args.stopped:
        args.stopped = True
        log(args.log, f"stopping {entry.reference}")
        os.kill(os.getpid(), signal.SIGSTOP)  # resumed by fleet.py, a "day" later


def sync_journal(args: argparse.Namespace) -> Any:
    url = args.journal
    base: Any = SQLiteJournal if url.startswith("sqlite:") else PostgresJournal

    class Stopping(base):  # type: ignore[misc, valid-type]
        def acquire(self, scope: JournalScope, entry: JournalEntry, owner: str, **kw: Any) -> Any:
            row = super().acquire(scope, entry, owner, **kw)
            if row.lease_owner == owner:
                _stop_after_lease(args, row)
            return row

    return Stopping(url[len("sqlite:///") :] if url.startswith("sqlite:") else url)


def async_journal(args: argparse.Namespace) -> Any:
    url = args.journal
    base: Any = AsyncSQLiteJournal if url.startswith("sqlite:") else AsyncPostgresJournal

    class Stopping(base):  # type: ignore[misc, valid-type]
        async def acquire(
            self, scope: JournalScope, entry: JournalEntry, owner: str, **kw: Any
        ) -> Any:
            row = await super().acquire(scope, entry, owner, **kw)
            if row.lease_owner == owner:
                _stop_after_lease(args, row)
            return row

    return Stopping(url[len("sqlite:///") :] if url.startswith("sqlite:") else url)


def _calls(args: argparse.Namespace) -> list[tuple[int, str]]:
    if args.mode == "sleeper":
        return [(index, sleeper_reference(index)) for index in range(args.count)]
    return [(i, plan.reference(i)) for i in plan.shard(args.worker, args.workers, args.count)]


def _method(client: Any, index: int) -> Any:
    return {
        "ach": client.payments.create_ach,
        "wire": client.payments.create_wire,
        "transfer": client.transfers.create,
    }[plan.kind(index)]


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "base_url": args.base_url,
        "timeout": args.timeout,
        "max_retries": 2,
        "conflict_wait": args.conflict_wait,
    }


def run_sync(args: argparse.Namespace) -> None:
    journal = sync_journal(args)
    with QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, journal=journal, **_options(args)) as c:
        if args.mode == "recover":
            for result in c.recover(deadline=args.deadline):
                print(json.dumps([result.action, result.reference]), flush=True)
            journal.close()
            return
        for index, reference in _calls(args):
            for _ in range(300):
                try:
                    _method(c, index)(request=plan.body(index), reference=reference)
                    log(args.log, f"paid {reference}" + (" SENT" if args.stopped else ""))
                    break
                except QBankReconciliationRequiredError:
                    log(args.log, f"reconcile {reference}")
                    break
                except TRANSIENT:
                    time.sleep(0.02)
            else:
                sys.exit(f"reference {reference} never got an answer")
    journal.close()


async def run_async(args: argparse.Namespace) -> None:
    journal = async_journal(args)
    async with AsyncQBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, journal=journal, **_options(args)
    ) as c:
        if args.mode == "recover":
            for result in await c.recover(deadline=args.deadline):
                print(json.dumps([result.action, result.reference]), flush=True)
            await journal.aclose()
            return
        for index, reference in _calls(args):
            for _ in range(300):
                try:
                    await _method(c, index)(request=plan.body(index), reference=reference)
                    log(args.log, f"paid {reference}" + (" SENT" if args.stopped else ""))
                    break
                except QBankReconciliationRequiredError:
                    log(args.log, f"reconcile {reference}")
                    break
                except TRANSIENT:
                    await anyio.sleep(0.02)
            else:
                sys.exit(f"reference {reference} never got an answer")
    await journal.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journal", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--mode", choices=("pay", "sleeper", "recover"), default="pay")
    parser.add_argument("--worker", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--client", choices=("sync", "async"), default="sync")
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--conflict-wait", type=float, default=3.0)
    parser.add_argument("--deadline", type=float, default=120.0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    args.stopped = False
    if args.client == "sync":
        run_sync(args)
    else:
        anyio.run(run_async, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
