"""One worker process of the crash test (``tests/exactly_once/crash.py`` starts and kills it).

    python -m tests.exactly_once.worker --journal URL --base-url URL --worker 0 --workers 8 \
        --count 2000 --client sync --self-kill-at 17 --log worker-0.log

It pays its shard of the references (``plan.shard``) with ``reference=`` on a client with the
journal. With ``--self-kill-at N`` the journal SIGKILLs its own process at the worst moment of its N-th
call: QBank has answered (the payment is committed) and the outcome is not yet recorded. It
writes ``self-kill`` to the log just before. Transient failures (5xx, timeouts, dropped
connections, 429) are retried by the worker as an application would: the same call again.
Exits 0 once every reference of its shard has a payment.

``--tail`` pays references ``count .. count + tail - 1`` and leaves each one pending, as a crash
would: two of three are sent and answered but their outcome is never recorded (a crash between
QBank's commit and the journal's write), one of three is recorded and never sent (a crash
between the journal's insert and the first attempt). Only ``client.recover()`` settles those.
"""

from __future__ import annotations

import argparse
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
    QBankStoreError,
)
from qbank_connect.journal import (
    AsyncPostgresJournal,
    AsyncSQLiteJournal,
    JournalEntry,
    JournalOutcome,
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


class _Killer:
    def __init__(self, at: int, log: str) -> None:
        self.at = at
        self.settled = 0
        self.log = log

    def maybe_die(self, entry: JournalEntry) -> None:
        self.settled += 1
        if self.settled == self.at:
            fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(fd, f"self-kill {entry.reference}\n".encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)


class CrashedHere(Exception):
    """Stands for a crash right after the journal's insert: the call is never sent."""


def _never_sent(entry: JournalEntry) -> bool:
    return int(entry.reference.rsplit(":", 1)[1]) % 3 == 0


def sync_journal(url: str, killer: _Killer, tail: bool) -> Any:
    base: Any = SQLiteJournal if url.startswith("sqlite:") else PostgresJournal

    class Killing(base):  # type: ignore[misc, valid-type]
        def claim(self, scope: JournalScope, entry: JournalEntry) -> JournalEntry:
            stored = super().claim(scope, entry)
            if tail and _never_sent(entry):
                raise CrashedHere
            return stored

        def settle(self, scope: JournalScope, entry: JournalEntry, outcome: JournalOutcome) -> None:
            if tail:
                return  # the outcome is lost, as in a crash
            killer.maybe_die(entry)
            super().settle(scope, entry, outcome)

    return Killing(url[len("sqlite:///") :] if url.startswith("sqlite:") else url)


def async_journal(url: str, killer: _Killer, tail: bool) -> Any:
    base: Any = AsyncSQLiteJournal if url.startswith("sqlite:") else AsyncPostgresJournal

    class Killing(base):  # type: ignore[misc, valid-type]
        async def claim(self, scope: JournalScope, entry: JournalEntry) -> JournalEntry:
            stored = await super().claim(scope, entry)
            if tail and _never_sent(entry):
                raise CrashedHere
            return stored

        async def settle(
            self, scope: JournalScope, entry: JournalEntry, outcome: JournalOutcome
        ) -> None:
            if tail:
                return
            killer.maybe_die(entry)
            await super().settle(scope, entry, outcome)

    return Killing(url[len("sqlite:///") :] if url.startswith("sqlite:") else url)


def _method(client: Any, index: int) -> Any:
    return {
        "ach": client.payments.create_ach,
        "wire": client.payments.create_wire,
        "transfer": client.transfers.create,
    }[plan.kind(index)]


def _indexes(args: argparse.Namespace) -> list[int]:
    if args.tail:
        return list(range(args.count, args.count + args.tail))
    return plan.shard(args.worker, args.workers, args.count)


def run_sync(args: argparse.Namespace, killer: _Killer) -> None:
    journal = sync_journal(args.journal, killer, bool(args.tail))
    options = {"timeout": args.timeout, "max_retries": 2}
    with QBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=args.base_url, journal=journal, **options
    ) as client:
        for index in _indexes(args):
            for _ in range(200):
                try:
                    _method(client, index)(
                        request=plan.body(index), reference=plan.reference(index)
                    )
                    break
                except QBankStoreError as error:
                    if not isinstance(error.__cause__, CrashedHere):
                        raise
                    break
                except TRANSIENT:
                    time.sleep(0.02)
            else:
                sys.exit(f"reference {plan.reference(index)} never got an answer")
    journal.close()


async def run_async(args: argparse.Namespace, killer: _Killer) -> None:
    journal = async_journal(args.journal, killer, bool(args.tail))
    options = {"timeout": args.timeout, "max_retries": 2}
    async with AsyncQBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=args.base_url, journal=journal, **options
    ) as client:
        for index in _indexes(args):
            for _ in range(200):
                try:
                    await _method(client, index)(
                        request=plan.body(index), reference=plan.reference(index)
                    )
                    break
                except QBankStoreError as error:
                    if not isinstance(error.__cause__, CrashedHere):
                        raise
                    break
                except TRANSIENT:
                    await anyio.sleep(0.02)
            else:
                sys.exit(f"reference {plan.reference(index)} never got an answer")
    await journal.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journal", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--client", choices=("sync", "async"), default="sync")
    parser.add_argument("--self-kill-at", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--log", required=True)
    parser.add_argument("--tail", type=int, default=0)
    args = parser.parse_args(argv)
    killer = _Killer(args.self_kill_at, args.log)
    if args.client == "sync":
        run_sync(args, killer)
    else:
        anyio.run(run_async, args, killer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
