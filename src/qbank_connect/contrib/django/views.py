"""The webhook view: ``path("qbank/webhooks/", include("qbank_connect.contrib.django.urls"))``.

For each POST it verifies the raw body (``request.body``, the bytes as received: never a parsed
body), answers 400 with the reason to a bad delivery, claims the event on the database with a
lease, sends :data:`~qbank_connect.contrib.django.signals.payment_status_updated`, and marks the
event done only when every receiver succeeded. The receivers' database writes and the ``done``
mark commit in one transaction; a receiver that raises rolls them back, gives the event back
and answers 500, so QBank delivers it again. A delivery of an event already handled is answered
200 and runs nothing; one of an event another delivery is handling right now is answered 409
(QBank retries it; a lease whose holder died expires after ``QBANK["WEBHOOK_LEASE"]``).

It is a plain (sync) view: under WSGI it runs as is, under ASGI Django runs it in a worker
thread; async receivers are awaited either way.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ...errors import QBankWebhookVerificationError
from ...models import WebhookEvent
from ...webhooks import Webhooks
from .conf import settings
from .dedup import DatabaseDeduplicator, LeaseLost
from .signals import payment_status_updated

__all__ = ["webhook"]

log = logging.getLogger("qbank_connect.contrib.django")


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _send(event: WebhookEvent) -> None:
    """Send the signal; raise the first receiver's error. Django 5 awaits async receivers in
    ``send``; on Django 4.2 a coroutine comes back and is awaited here."""
    for _receiver, result in payment_status_updated.send(sender=WebhookEvent, event=event):
        if inspect.isawaitable(result):
            async_to_sync(_await)(result)


@csrf_exempt  # QBank cannot send a CSRF token: the signature authenticates the delivery
@require_POST
@transaction.non_atomic_requests  # the lease must commit at once, even with ATOMIC_REQUESTS
def webhook(request: HttpRequest) -> HttpResponse:
    """Receive one QBank webhook delivery (see the module's docstring)."""
    config = settings()
    if not config.webhook_secrets:
        log.error("QBANK['WEBHOOK_SECRET'] is not set: webhook deliveries cannot be verified")
        return JsonResponse({"error": "not_configured"}, status=500)
    try:
        event = Webhooks(config.webhook_secret).unwrap(
            request.body, request.headers, tolerance=config.webhook_tolerance
        )
    except QBankWebhookVerificationError as e:
        log.warning("rejected webhook delivery: %s", e.reason)
        return JsonResponse({"error": e.reason}, status=400)
    dedup = DatabaseDeduplicator(
        using=config.database, lease=config.webhook_lease, ttl=config.webhook_ttl
    )
    lease = dedup.claim(event)
    if lease is None:
        if dedup.handled(event):
            log.info("webhook event %s: already handled, answered 200", event.id)
            return JsonResponse({"received": True, "duplicate": True})
        # Another delivery holds the lease right now: 409, so QBank retries should it die.
        log.info("webhook event %s: being handled by another delivery, answered 409", event.id)
        return JsonResponse({"error": "in_progress"}, status=409)
    try:
        with transaction.atomic(using=config.database):
            _send(event)
            dedup.done(event, lease)
    except LeaseLost:
        log.warning("webhook event %s: lease lost while handling it; rolled back", event.id)
        return JsonResponse({"error": "lease_lost"}, status=500)
    except Exception:
        log.exception("webhook event %s: a receiver failed; answered 500", event.id)
        dedup.release(event, lease)
        return JsonResponse({"error": "receiver_failed"}, status=500)
    return JsonResponse({"received": True})
