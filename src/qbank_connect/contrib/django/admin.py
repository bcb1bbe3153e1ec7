"""Read-only admin pages for the journal and the webhook events.

Nothing can be added, changed or deleted here (resolve entries with ``manage.py qbank_journal``).
The journal's bodies and answers are sealed at rest: they are opened with this process's client
(same bank, client id and key) and shown with account numbers masked (``•••••6789``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, cast

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from ...journal import JournalEntry
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
        mapping = cast("dict[object, Any]", data)
        return {k: mask(v, str(k)) for k, v in mapping.items()}
    if isinstance(data, list):
        values = cast("list[Any]", data)  # type: ignore[redundant-cast]  # for pyright
        return [mask(v, key) for v in values]
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
        data: Any = json.loads(text)
    except ValueError:
        return "(not JSON: hidden)"
    if isinstance(data, dict):
        outcome = cast("dict[str, Any]", data)
        inner = outcome.get("body")
        if isinstance(inner, str):  # an outcome: its body too
            try:
                outcome["body"] = json.loads(inner)
            except ValueError:
                outcome["body"] = "(not JSON: hidden)"
    return json.dumps(mask(data), indent=2, ensure_ascii=False)


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def _opened(record: JournalRecord) -> JournalEntry | None:
    """The entry with its body and answer opened (they are sealed at rest), if this process's
    client can open them (same bank, client id and key)."""
    from .clients import get_client

    try:
        journal = get_client().journal
        if journal is None or (record.bank, record.client_id) != (
            journal.scope.bank,
            journal.scope.client_id,
        ):
            return None
        return journal.get(record.operation, record.reference)
    except Exception:  # sealed under another key, or altered: shown as sealed
        return None


@admin.register(JournalRecord)
class JournalRecordAdmin(_ReadOnly):
    list_display = ("operation", "reference", "state", "created", "idempotency_key", "client_id")
    list_filter = ("state", "operation", "client_id")
    search_fields = ("reference", "idempotency_key", "payment_id")
    ordering = ("-created_at",)
    fields = (
        "bank",
        "client_id",
        "operation",
        "reference",
        "generation",
        "state",
        "created",
        "settled",
        "idempotency_key",
        "body_digest",
        "payment_id",
        "resolved_by",
        "masked_body",
        "masked_outcome",
    )
    readonly_fields = fields

    @admin.display(description="created (UTC)", ordering="created_at")
    def created(self, record: JournalRecord) -> str:
        return _when(record.created_at)

    @admin.display(description="settled (UTC)")
    def settled(self, record: JournalRecord) -> str:
        return _when(record.settled_at)

    @admin.display(description="body (account numbers masked)")
    def masked_body(self, record: JournalRecord) -> str:
        entry = _opened(record)
        text = "(sealed)" if entry is None else _pretty(entry.body)
        return format_html("<pre>{}</pre>", text)

    @admin.display(description="outcome (account numbers masked)")
    def masked_outcome(self, record: JournalRecord) -> str:
        entry = _opened(record)
        if entry is None:
            text = "(sealed)" if record.outcome else "-"
        else:
            text = "-" if entry.outcome is None else _pretty(entry.outcome.to_json())
        return format_html("<pre>{}</pre>", text)


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
