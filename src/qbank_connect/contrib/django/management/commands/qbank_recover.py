"""``manage.py qbank_recover``: settle the journal's pending calls, as ``client.recover()``.

Prints one row per entry. Exit status: 0 when every entry was settled (or none was pending),
1 when some are still unsettled (run it again later), 2 when some need a person
(``reconcile``: the key is past QBank's retention; ``needs_file``: a NACHA upload).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ...clients import get_client
from .._table import table


class Command(BaseCommand):
    help = "Settle the payment journal's pending calls (what a crash left without an answer)."

    def handle(self, *args: Any, **options: Any) -> None:
        client = get_client()
        if client.journal is None:
            raise CommandError('QBANK["JOURNAL"] is not set: there is no journal to recover')
        results = client.recover()
        rows = [
            [
                r.action,
                r.entry.operation,
                r.reference,
                r.idempotency_key,
                getattr(r.result, "id", "") or (type(r.error).__name__ if r.error else ""),
            ]
            for r in results
        ]
        if rows:
            self.stdout.write(table(["action", "operation", "reference", "key", "result"], rows))
        counts: dict[str, int] = {}
        for r in results:
            counts[r.action] = counts.get(r.action, 0) + 1
        summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing pending"
        self.stdout.write(summary)
        if counts.get("reconcile") or counts.get("needs_file"):
            raise CommandError("some entries need a person (reconcile, needs_file)", returncode=2)
        if counts.get("unsettled"):
            raise CommandError("some entries are still unsettled: run it again later", returncode=1)
