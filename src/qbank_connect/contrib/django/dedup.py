"""Webhook de-duplication with a lease, on the project's database (``WebhookEventRecord``).

A delivery *claims* its event: it inserts the row, or takes over one whose ``expires_at`` has
passed (a lease its holder never gave back, or a handled event older than the retention), in
one atomic statement either way; the time is the database's (``Now()``), the same for every
process and host. Of any number of concurrent deliveries exactly one gets the lease. The holder
then marks it ``done`` (remembered for ``ttl``) or ``release``\\ s it; both are fenced by the
lease's token, so a delivery whose lease expired and was taken over can change nothing.

Example::

    dedup = DatabaseDeduplicator(lease=timedelta(minutes=5), ttl=timedelta(hours=72))
    lease = dedup.claim(event)
    if lease is not None:
        with transaction.atomic():
            handle(event)
            dedup.done(event, lease)     # raises LeaseLost if another delivery took it over
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Now

from ...models import WebhookEvent
from .models import WebhookEventRecord

__all__ = ["DatabaseDeduplicator", "LeaseLost"]


class LeaseLost(Exception):
    """The delivery's lease expired and another delivery took the event over."""


def _in(delta: timedelta) -> models.Expression:
    """The database's current time plus ``delta``."""
    return models.ExpressionWrapper(
        Now() + models.Value(delta, output_field=models.DurationField()),
        output_field=models.DateTimeField(),
    )


class DatabaseDeduplicator:
    """Claim, finish and release webhook events in the ``WebhookEventRecord`` table."""

    def __init__(
        self,
        *,
        using: str = "default",
        lease: timedelta = timedelta(minutes=5),
        ttl: timedelta = timedelta(hours=72),
    ) -> None:
        self.using = using
        self.lease = lease
        self.ttl = ttl

    def __repr__(self) -> str:
        return f"<{type(self).__name__} using={self.using!r} lease={self.lease} ttl={self.ttl}>"

    def _rows(self) -> Any:  # the ORM's QuerySet (django-stubs types it only with its plugin)
        return WebhookEventRecord.objects.using(self.using)

    def claim(self, event: WebhookEvent) -> str | None:
        """The lease's token if this delivery may handle the event, ``None`` if another
        delivery has handled it (within ``ttl``) or holds it (within ``lease``)."""
        token = uuid.uuid4().hex
        payment = event.data.payment
        fields = {
            "state": WebhookEventRecord.LEASED,
            "lease": token,
            "expires_at": _in(self.lease),
            "handled_at": None,
            "payment_id": str(payment.id)[:64],
            "payment_status": str(payment.status)[:32],
        }
        try:
            with transaction.atomic(using=self.using):
                self._rows().create(event_id=event.id, received_at=Now(), **fields)
            return token
        except IntegrityError:
            pass
        taken: int = (
            self._rows()
            .filter(event_id=event.id, expires_at__lte=Now())
            .update(received_at=Now(), deliveries=models.F("deliveries") + 1, **fields)
        )
        if taken:
            return token
        self._rows().filter(event_id=event.id).update(deliveries=models.F("deliveries") + 1)
        return None

    def done(self, event: WebhookEvent, token: str) -> None:
        """Mark the event handled (remembered for ``ttl``); :class:`LeaseLost` if the lease was
        taken over meanwhile (inside ``transaction.atomic()`` the handler's writes roll back)."""
        updated: int = (
            self._rows()
            .filter(event_id=event.id, lease=token, state=WebhookEventRecord.LEASED)
            .update(state=WebhookEventRecord.DONE, expires_at=_in(self.ttl), handled_at=Now())
        )
        if not updated:
            raise LeaseLost(f"webhook event {event.id}: the lease expired and was taken over")

    def handled(self, event: WebhookEvent) -> bool:
        """Whether the event was marked done (and is still remembered)."""
        found: bool = (
            self._rows()
            .filter(event_id=event.id, state=WebhookEventRecord.DONE, expires_at__gt=Now())
            .exists()
        )
        return found

    def release(self, event: WebhookEvent, token: str) -> None:
        """Give the event back (the handler failed): the next delivery handles it."""
        self._rows().filter(
            event_id=event.id, lease=token, state=WebhookEventRecord.LEASED
        ).delete()

    def prune(self) -> int:
        """Delete the rows whose time has passed; how many."""
        deleted: int = self._rows().filter(expires_at__lte=Now()).delete()[0]
        return deleted
