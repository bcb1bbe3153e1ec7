"""The tables the app keeps in the project's database (migrations in ``migrations/``).

- :class:`JournalRecord`: the payment journal (``QBANK["JOURNAL"] = "django"``), one row per
  ``(operation, reference)``; see ``journal.py`` and docs/exactly-once.md.
- :class:`WebhookEventRecord`: webhook de-duplication with a lease (``dedup.py``): one row per
  event id, never the event's body.
"""

from __future__ import annotations

from django.db import models

__all__ = ["JournalRecord", "WebhookEventRecord"]


class JournalRecord(models.Model):
    """One journaled call (see :class:`qbank_connect.journal.JournalEntry`)."""

    operation = models.CharField(max_length=64)
    reference = models.CharField(max_length=255)
    idempotency_key = models.CharField(max_length=36)
    body_digest = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField()
    state = models.CharField(max_length=16, default="pending")
    outcome = models.TextField(null=True, blank=True)

    class Meta:
        verbose_name = "journal entry"
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "reference"], name="qbank_journal_operation_reference"
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="qbank_journal_pending")]

    def __str__(self) -> str:
        return f"{self.operation} {self.reference} ({self.state})"


class WebhookEventRecord(models.Model):
    """A webhook event claimed by a delivery (``leased``) or handled (``done``).

    ``expires_at`` (the database's clock) ends the lease, or, once done, how long the event is
    remembered; an expired row is taken over by the next delivery. ``lease`` fences the
    delivery that holds it: only it can mark the event done or release it."""

    LEASED = "leased"
    DONE = "done"

    event_id = models.CharField(max_length=255, primary_key=True)
    state = models.CharField(max_length=8, default=LEASED)
    lease = models.CharField(max_length=32)
    expires_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField()
    handled_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=1)
    payment_id = models.CharField(max_length=64, blank=True, default="")
    payment_status = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        verbose_name = "webhook event"
        verbose_name_plural = "webhook events"

    def __str__(self) -> str:
        return f"{self.event_id} ({self.state})"
