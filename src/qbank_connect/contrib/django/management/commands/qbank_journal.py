"""``manage.py qbank_journal pending|resolve|prune``: look after the payment journal.

- ``pending``: the entries with no final answer (``pending``, ``reconcile``), oldest first.
- ``resolve OPERATION REFERENCE --payment ID``: close a ``reconcile`` entry (one the SDK
  stopped sending: its key may be past QBank's memory) with the payment you found at QBank;
  later calls with the reference return it. ``--not-sent``: it never reached QBank; the next
  call pays it afresh under a new key.
- ``prune --days N``: delete entries settled more than N days ago (never an open one), and
  expired webhook events.

It works on the client's journal, whatever ``QBANK["JOURNAL"]`` is, in the client's scope
(its base URL and client id).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...clients import get_client
from ...conf import settings
from ...dedup import DatabaseDeduplicator
from .._table import table


class Command(BaseCommand):
    help = "List open journal entries, resolve one by hand, or prune settled ones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("pending", help="the entries with no final answer")
        resolve = sub.add_parser("resolve", help="close a reconcile entry by hand")
        resolve.add_argument("operation")
        resolve.add_argument("reference")
        how = resolve.add_mutually_exclusive_group(required=True)
        how.add_argument("--payment", help="the id of the payment QBank holds for it")
        how.add_argument("--not-sent", action="store_true", help="it never reached QBank")
        prune = sub.add_parser("prune", help="delete entries settled more than --days ago")
        prune.add_argument("--days", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        journal = get_client().journal
        if journal is None:
            raise CommandError('QBANK["JOURNAL"] is not set: there is no journal')
        action = options["action"]
        if action == "pending":
            entries = journal.pending()
            rows = [
                [
                    e.state.value,
                    e.operation,
                    e.reference,
                    e.idempotency_key,
                    e.created_at.isoformat(timespec="seconds"),
                    str((e.now or datetime.now(timezone.utc)) - e.created_at).split(".")[0],
                ]
                for e in entries
            ]
            headers = ["state", "operation", "reference", "key", "created_at", "age"]
            self.stdout.write(table(headers, rows))
            self.stdout.write(f"{len(rows)} open")
        elif action == "resolve":
            try:
                entry = journal.resolve(
                    options["operation"],
                    options["reference"],
                    payment_id=options["payment"],
                    not_sent=bool(options["not_sent"]),
                )
            except ValueError as e:
                raise CommandError(str(e)) from None
            self.stdout.write(f"{entry.operation} {entry.reference}: {entry.state.value}")
        else:
            if options["days"] < 1:
                raise CommandError("--days must be at least 1")
            cutoff = datetime.now(timezone.utc) - timedelta(days=options["days"])
            deleted = journal.prune(settled_before=cutoff)
            events = DatabaseDeduplicator(using=settings().database).prune()
            self.stdout.write(f"deleted {deleted} settled journal entries, {events} webhook events")
