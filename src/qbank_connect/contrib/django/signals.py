"""``payment_status_updated``: sent once per webhook event, after the delivery is verified.

Receivers get the keyword argument ``event`` (a :class:`~qbank_connect.models.WebhookEvent`);
they may be plain functions or ``async def``. A receiver that raises makes the view answer 500,
so QBank delivers the event again.

Example::

    from django.dispatch import receiver
    from qbank_connect.contrib.django.signals import payment_status_updated

    @receiver(payment_status_updated)
    def on_payment(sender, event, **kwargs):
        if event.payment.is_completed:
            Invoice.objects.filter(payment_id=event.payment.id).update(paid=True)
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["payment_status_updated"]

payment_status_updated = Signal()
