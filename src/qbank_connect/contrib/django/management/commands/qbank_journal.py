"""``manage.py qbank_journal pending|resolve|prune``: look after the payment journal.

- ``pending``: the calls with no final answer yet, oldest first.
- ``resolve OPERATION REFERENCE --payment ID``: record, for a pending entry (typically one
  ``qbank_recover`` reported as ``reconcile``), the payment you found at QBank (fetched from
  the API and recorded as its result); ``--not-executed`` records that QBank never executed it
  (the reference then answers with an error and is never sent again).
- ``prune --days N``: delete *settled* entries older than N days, and expired webhook events;
  pending entries are never deleted.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qbank_connect._stores.journal import EntryState, JournalOutcome

from ...conf import settings
from ...dedup import DatabaseDeduplicator
from ...models import JournalRecord
from .._table import table


class Command(BaseCommand):
    help = "List pending journal entries, resolve one by hand, or prune settled ones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("pending", help="the calls with no final answer yet")
        resolve = sub.add_parser("resolve", help="settle a pending entry by hand")
        resolve.add_argument("operation")
        resolve.add_argument("reference")
        how = resolve.add_mutually_exclusive_group(required=True)
        how.add_argument("--payment", help="the id of the payment QBank holds for it")
        how.add_argument("--not-executed", action="store_true", help="QBank never executed it")
        prune = sub.add_parser("prune", help="delete settled entries older than --days")
        prune.add_argument("--days", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        self._check_journal()
        action = options["action"]
        if action == "pending":
            self._pending()
        elif action == "resolve":
            self._resolve(options["operation"], options["reference"], options)
        else:
            self._prune(options["days"])

    def _check_journal(self) -> None:
        if settings().journal != "django":
            raise CommandError('qbank_journal works on QBANK["JOURNAL"] = "django"')

    def _rows(self) -> Any:
        return JournalRecord.objects.using(settings().database)

    def _pending(self) -> None:
        now = datetime.now(timezone.utc)
        rows = [
            [
                r.operation,
                r.reference,
                r.idempotency_key,
                r.created_at.isoformat(),
                now - r.created_at,
            ]
            for r in self._rows().filter(state=EntryState.PENDING.value).order_by("created_at")
        ]
        self.stdout.write(table(["operation", "reference", "key", "created_at", "age"], rows))
        self.stdout.write(f"{len(rows)} pending")

    def _resolve(self, operation: str, reference: str, options: dict[str, Any]) -> None:
        record = self._rows().filter(operation=operation, reference=reference).first()
        if record is None:
            raise CommandError(f"no journal entry for {operation} {reference!r}")
        if record.state != EntryState.PENDING.value:
            raise CommandError(f"{operation} {reference!r} is already {record.state}")
        if options["payment"]:
            from ...clients import get_client

            raw = get_client().with_raw_response.payments.get(options["payment"])
            outcome = JournalOutcome(
                status=200,
                body=raw.http_response.content.decode("utf-8"),
                executed=True,
                request_id=raw.request_id,
            )
            state = EntryState.SUCCEEDED
        else:
            outcome = JournalOutcome(
                status=422,
                body=json.dumps(
                    {
                        "message": "resolved by hand: QBank never executed it",
                        "error_code": "RESOLVED_NOT_EXECUTED",
                    }
                ),
                executed=False,
                error="QBankUnprocessableEntityError",
                error_code="RESOLVED_NOT_EXECUTED",
            )
            state = EntryState.FAILED
        updated = (
            self._rows()
            .filter(pk=record.pk, state=EntryState.PENDING.value)
            .update(state=state.value, outcome=outcome.to_json())
        )
        if not updated:
            raise CommandError(f"{operation} {reference!r} was settled meanwhile")
        self.stdout.write(f"{operation} {reference}: {state.value}")

    def _prune(self, days: int) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = datetime.now(timezone.utc) - timedelta(days=days)
        deleted, _ = (
            self._rows()
            .filter(created_at__lt=cutoff)
            .exclude(state=EntryState.PENDING.value)
            .delete()
        )
        events = DatabaseDeduplicator(using=settings().database).prune()
        self.stdout.write(f"deleted {deleted} settled journal entries, {events} webhook events")
