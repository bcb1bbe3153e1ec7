"""Signal receivers of the test project; ``BEHAVIOUR`` tells them what to do per test."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import sync_to_async
from django.db.models import F

from qbank_connect.contrib.django.conf import settings
from qbank_connect.models import WebhookEvent

from .models import Invoice

BEHAVIOUR: dict[str, Any] = {"fail": set(), "async": False}
CALLS: list[tuple[str, str]] = []  # (event id, "sync" | "async")
_lock = threading.Lock()


def record(event: WebhookEvent) -> None:
    payment = event.payment
    invoices = Invoice.objects.using(settings().database)
    if event.id in BEHAVIOUR["fail"]:
        invoices.filter(number=payment.memo).update(webhook_count=F("webhook_count") + 1)
        BEHAVIOUR["fail"].discard(event.id)
        raise RuntimeError(f"receiver failed on {event.id}")
    invoices.filter(number=payment.memo).update(
        status=str(payment.status), webhook_count=F("webhook_count") + 1
    )


def on_payment(sender: Any, event: WebhookEvent, **kwargs: Any) -> None:
    if BEHAVIOUR["async"]:
        return
    with _lock:
        CALLS.append((event.id, "sync"))
    record(event)


async def on_payment_async(sender: Any, event: WebhookEvent, **kwargs: Any) -> None:
    if not BEHAVIOUR["async"]:
        return
    await asyncio.sleep(0)
    with _lock:
        CALLS.append((event.id, "async"))
    await sync_to_async(record)(event)
