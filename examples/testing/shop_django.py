"""A Django view that pays an invoice through the SDK (tested in test_shop_django.py).

A single-file project; in yours, the view lives in an app and the settings in settings.py.
"""

from __future__ import annotations

import json

import django
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from qbank_connect import QBankConnect, QBankError, idempotency_key_for

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="example-only-not-for-production",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["testserver", "localhost"],
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
    )
    django.setup()

_client: QBankConnect | None = None


def get_qbank() -> QBankConnect:
    """One client per process, configured from QBANK_CLIENT_ID / QBANK_CLIENT_SECRET."""
    global _client
    if _client is None:
        _client = QBankConnect()
    return _client


@require_POST
def pay_invoice(request: HttpRequest, invoice_id: str) -> JsonResponse:
    payee = json.loads(request.body)
    try:
        payment = get_qbank().transfers.create(
            request={
                "source_account_id": payee["from_account"],
                "destination_account_id": payee["to_account"],
                "amount": payee["amount"],
                "memo": invoice_id,
            },
            idempotency_key=idempotency_key_for("settle_invoice", invoice_id),
        )
    except QBankError as e:
        return JsonResponse({"error": str(e)}, status=502)
    return JsonResponse({"payment_id": payment.id, "status": str(payment.status)})


urlpatterns = [path("invoices/<str:invoice_id>/settle", pay_invoice)]
