"""Receive QBank ``paymentStatusUpdate`` webhooks with Django: a single-file project.

Every delivery is verified (signature, then timestamp) before anything is acted on; forged, stale
or malformed ones get 400. A re-delivered event (same body ``id``, new ``Webhook-Event-ID``) is
acknowledged with 200 but handled once.

Run::

    export QBANK_WEBHOOK_SECRET=whsec_... DJANGO_SECRET_KEY=...
    python examples/webhooks_django.py runserver 8000

In a real project, put the view in an app and the settings in ``settings.py``; with several
workers, give the ``EventDeduplicator`` a shared store (``store="postgresql://..."``, Redis or
SQLite) or use a UNIQUE constraint on the event id in your database (see ``docs/webhooks.md``).
"""

from __future__ import annotations

import logging
import os
import sys

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from qbank_connect import QBankConnect, QBankWebhookVerificationError
from qbank_connect.models import WebhookEvent
from qbank_connect.webhooks import EventDeduplicator

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-not-for-production"),
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        INSTALLED_APPS=[],
        MIDDLEWARE=[
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
    )
    django.setup()

log = logging.getLogger("qbank.webhooks")

# token=: a receiver never calls the API, so no OAuth credentials are needed here.
client = QBankConnect(
    token="unused-in-receiver",
    webhook_secret=os.environ["QBANK_WEBHOOK_SECRET"],
)
dedup = EventDeduplicator()

handled: list[WebhookEvent] = []
"""Events handled so far; stands in for your business logic (and lets the tests look)."""


def handle(event: WebhookEvent) -> None:
    """Your business logic. Runs once per event, only for authentic deliveries."""
    payment = event.payment
    if payment.is_completed:
        log.info("payment %s completed: release the goods", payment.id)
    elif payment.is_failed:
        log.info("payment %s failed (%s): do not ship", payment.id, payment.failure_code)
    handled.append(event)


@csrf_exempt  # QBank cannot send a CSRF token; the signature authenticates the request instead
@require_POST
def qbank_webhook(request: HttpRequest) -> HttpResponse:
    try:
        # request.body is the raw bytes, exactly as received.
        event = client.webhooks.unwrap(request.body, request.headers)
    except QBankWebhookVerificationError as e:
        log.warning("rejected webhook delivery: %s", e)
        return HttpResponseBadRequest(f'{{"error": "{e.reason}"}}', content_type="application/json")
    if not dedup.first_time(event):
        # Handled: acknowledge. Held by another delivery right now: 409, so QBank retries it
        # should that handler die (its lease then runs out and the retry is handled).
        return JsonResponse({"received": True}, status=200 if dedup.handled(event) else 409)
    try:
        handle(event)
    except Exception:
        dedup.release(event)  # answer 500 so QBank retries, and handle the retry
        raise
    dedup.done(event)
    return JsonResponse({"received": True})


urlpatterns = [path("webhooks/qbank", qbank_webhook)]


if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
