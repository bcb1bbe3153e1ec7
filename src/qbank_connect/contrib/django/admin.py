"""Read-only admin pages for the journal and the webhook events.

Nothing can be added, changed or deleted here (settle entries with ``manage.py qbank_journal``).
Account numbers in the recorded bodies are shown masked (``•••••6789``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from .models import JournalRecord, WebhookEventRecord

__all__ = ["JournalRecordAdmin", "WebhookEventRecordAdmin", "mask"]

_SENSITIVE = re.compile(r"account_number|routing_number|secret|token|password", re.IGNORECASE)


def _masked(value: str) -> str:
    return "•" * max(len(value) - 4, 1) + value[-4:] if len(value) > 4 else "•" * len(value)


def mask(data: Any, key: str = "") -> Any:
    """``data`` with the values of sensitive keys masked (the last 4 characters kept for
    account and routing numbers; secrets and tokens replaced entirely).

    >>> mask({"recipient_details": {"account_number": "123456789"}})
    {'recipient_details': {'account_number': '•••••6789'}}
    """
    if isinstance(data, dict):
        return {k: mask(v, str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask(v, key) for v in data]
    if key.endswith("last4"):
        return data
    if _SENSITIVE.search(key) and data is not None:
        text = str(data)
        return _masked(text) if "number" in key.lower() else "***"
    return data


def _pretty(text: str | None) -> str:
    if not text:
        return "-"
    try:
        data = json.loads(text)
    except ValueError:
        return "(not JSON: hidden)"
    if isinstance(data, dict) and isinstance(data.get("body"), str):  # an outcome: its body too
        try:
            data["body"] = json.loads(data["body"])
        except ValueError:
            data["body"] = "(not JSON: hidden)"
    return json.dumps(mask(data), indent=2, ensure_ascii=False)


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JournalRecord)
class JournalRecordAdmin(_ReadOnly):
    list_display = ("operation", "reference", "state", "created_at", "idempotency_key")
    list_filter = ("state", "operation")
    search_fields = ("reference", "idempotency_key")
    ordering = ("-created_at",)
    fields = (
        "operation",
        "reference",
        "state",
        "created_at",
        "idempotency_key",
        "body_digest",
        "masked_body",
        "masked_outcome",
    )
    readonly_fields = fields

    @admin.display(description="body (account numbers masked)")
    def masked_body(self, record: JournalRecord) -> str:
        return format_html("<pre>{}</pre>", _pretty(record.body))

    @admin.display(description="outcome (account numbers masked)")
    def masked_outcome(self, record: JournalRecord) -> str:
        return format_html("<pre>{}</pre>", _pretty(record.outcome))


@admin.register(WebhookEventRecord)
class WebhookEventRecordAdmin(_ReadOnly):
    list_display = (
        "event_id",
        "payment_id",
        "payment_status",
        "state",
        "deliveries",
        "received_at",
        "handled_at",
    )
    list_filter = ("state", "payment_status")
    search_fields = ("event_id", "payment_id")
    ordering = ("-received_at",)
    exclude = ("lease",)
    readonly_fields = (
        "event_id",
        "payment_id",
        "payment_status",
        "state",
        "deliveries",
        "received_at",
        "handled_at",
        "expires_at",
    )
