"""The tables the app keeps in the project's database (migrations in ``migrations/``).

- :class:`JournalRecord`: the payment journal (``QBANK["JOURNAL"] = "django"``), one row per
  ``(operation, reference)``; see ``journal.py`` and docs/exactly-once.md.
- :class:`WebhookEventRecord`: webhook de-duplication with a lease (``dedup.py``): one row per
  event id, never the event's body.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

__all__ = ["JournalRecord", "WebhookEventRecord"]


class JournalRecord(models.Model):
    """The journal's table, ``qbank_journal``, as :class:`qbank_connect.journal.JournalSQL`
    defines it (the journal's own statements run on it), plus a surrogate ``id`` for Django:
    the key is the unique ``(bank, client_id, operation, reference)``. Times are seconds since
    the epoch on the database's clock; ``body`` and ``outcome`` are sealed (AES-256-GCM)."""

    bank: models.TextField[str, str] = models.TextField()
    client_id: models.TextField[str, str] = models.TextField()
    operation: models.TextField[str, str] = models.TextField()
    reference: models.TextField[str, str] = models.TextField()
    generation: models.IntegerField[int, int] = models.IntegerField()
    idempotency_key: models.TextField[str, str] = models.TextField()
    body_digest: models.TextField[str, str] = models.TextField()
    body: models.TextField[str, str] = models.TextField()
    created_at: models.FloatField[float, float] = models.FloatField()
    state: models.TextField[str, str] = models.TextField()
    outcome: models.TextField[str | None, str | None] = models.TextField(null=True)
    lease_owner: models.TextField[str | None, str | None] = models.TextField(null=True)
    lease_expires: models.FloatField[float | None, float | None] = models.FloatField(null=True)
    transaction_id: models.TextField[str | None, str | None] = models.TextField(null=True)
    payment_id: models.TextField[str | None, str | None] = models.TextField(null=True)
    resolved_by: models.TextField[str | None, str | None] = models.TextField(null=True)
    resolved_at: models.FloatField[float | None, float | None] = models.FloatField(null=True)
    settled_at: models.FloatField[float | None, float | None] = models.FloatField(null=True)

    class Meta:
        db_table = "qbank_journal"
        verbose_name = "journal entry"
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "client_id", "operation", "reference"],
                name="qbank_journal_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["bank", "client_id", "state", "created_at"], name="qbank_journal_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.reference} ({self.state})"


class WebhookEventRecord(models.Model):
    """A webhook event claimed by a delivery (``leased``) or handled (``done``).

    ``expires_at`` (the database's clock) ends the lease, or, once done, how long the event is
    remembered; an expired row is taken over by the next delivery. ``lease`` fences the
    delivery that holds it: only it can mark the event done or release it."""

    LEASED = "leased"
    DONE = "done"

    event_id: models.CharField[str, str] = models.CharField(max_length=255, primary_key=True)
    state: models.CharField[str, str] = models.CharField(max_length=8, default=LEASED)
    lease: models.CharField[str, str] = models.CharField(max_length=32)
    expires_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(db_index=True)
    received_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    handled_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    deliveries: models.PositiveIntegerField[int, int] = models.PositiveIntegerField(default=1)
    payment_id: models.CharField[str, str] = models.CharField(max_length=64, blank=True, default="")
    payment_status: models.CharField[str, str] = models.CharField(
        max_length=32, blank=True, default=""
    )

    class Meta:
        verbose_name = "webhook event"
        verbose_name_plural = "webhook events"

    def __str__(self) -> str:
        return f"{self.event_id} ({self.state})"
