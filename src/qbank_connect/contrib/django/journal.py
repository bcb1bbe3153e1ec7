"""The payment journal in the project's database: ``QBANK["JOURNAL"] = "django"``.

The same journal as the SQLite and PostgreSQL ones (docs/exactly-once.md), on the
``JournalRecord`` table and Django's connection of the ``QBANK["DATABASE"]`` alias, in the
calling thread. So a call made inside ``transaction.atomic()`` records its entry and its
outcome in *your* transaction, with your business rows: they commit together or not at all.
Outside one (Django's autocommit) every write commits at once, before the payment is sent.

Example::

    with transaction.atomic():
        payment = get_client().payments.create_ach(request=ach, reference=f"invoice:{inv.pk}")
        Invoice.objects.filter(pk=inv.pk).update(payment_id=payment.id)
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from asgiref.sync import sync_to_async
from django.db import IntegrityError, transaction

from ..._async.stores.journal import AsyncJournal
from ..._stores.journal import EntryState, JournalEntry, JournalOutcome
from ..._sync.stores.journal import Journal
from ...errors import QBankStoreUnavailableError
from .models import JournalRecord

__all__ = ["AsyncDjangoJournal", "DjangoJournal"]


def _entry(record: JournalRecord) -> JournalEntry:
    return JournalEntry(
        reference=record.reference,
        operation=record.operation,
        idempotency_key=record.idempotency_key,
        body_digest=record.body_digest,
        body=record.body,
        created_at=record.created_at.astimezone(timezone.utc),
        state=EntryState(record.state),
        outcome=None if record.outcome is None else JournalOutcome.from_json(record.outcome),
    )


class DjangoJournal(Journal):
    """The journal on Django's ORM (blocking); ``get_client()`` uses it.

    Example::

        client = QBankConnect(journal=DjangoJournal(using="default"))
    """

    def __init__(self, *, using: str = "default") -> None:
        self.using = using

    def __repr__(self) -> str:
        return f"<{type(self).__name__} using={self.using!r}>"

    def _rows(self) -> Any:
        return JournalRecord.objects.using(self.using)

    def claim(self, entry: JournalEntry) -> JournalEntry:
        try:
            with transaction.atomic(using=self.using):  # a savepoint inside your transaction
                self._rows().create(
                    operation=entry.operation,
                    reference=entry.reference,
                    idempotency_key=entry.idempotency_key,
                    body_digest=entry.body_digest,
                    body=entry.body,
                    created_at=entry.created_at,
                    state=entry.state.value,
                )
        except IntegrityError:
            pass  # recorded before: the earlier entry wins
        found = self.get(entry.operation, entry.reference)
        if found is None:
            raise QBankStoreUnavailableError("journal: the entry vanished right after its insert")
        return found

    def settle(self, entry: JournalEntry, outcome: JournalOutcome) -> None:
        state = EntryState.SUCCEEDED if outcome.succeeded else EntryState.FAILED
        self._rows().filter(
            operation=entry.operation, reference=entry.reference, state=EntryState.PENDING.value
        ).update(state=state.value, outcome=outcome.to_json())

    def get(self, operation: str, reference: str) -> JournalEntry | None:
        record = self._rows().filter(operation=operation, reference=reference).first()
        return None if record is None else _entry(record)

    def pending(self) -> list[JournalEntry]:
        rows = self._rows().filter(state=EntryState.PENDING.value).order_by("created_at")
        return [_entry(record) for record in rows]


class AsyncDjangoJournal(AsyncJournal):
    """The same journal for ``aget_client()``: each statement runs in Django's thread for the
    ORM (``sync_to_async``), so the event loop never waits on the database.

    Example::

        client = AsyncQBankConnect(journal=AsyncDjangoJournal(using="default"))
    """

    def __init__(self, *, using: str = "default") -> None:
        self.using = using
        self._journal = DjangoJournal(using=using)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} using={self.using!r}>"

    async def claim(self, entry: JournalEntry) -> JournalEntry:
        return await sync_to_async(self._journal.claim)(entry)

    async def settle(self, entry: JournalEntry, outcome: JournalOutcome) -> None:
        await sync_to_async(self._journal.settle)(entry, outcome)

    async def get(self, operation: str, reference: str) -> JournalEntry | None:
        return await sync_to_async(self._journal.get)(operation, reference)

    async def pending(self) -> list[JournalEntry]:
        return await sync_to_async(self._journal.pending)()
