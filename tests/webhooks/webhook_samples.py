"""Sample deliveries for the webhook tests, signed independently of the SDK with ``hmac``."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SECRET = "whsec_Sup3r-S3cret-Do-Not-Log_9f2c"
OLD_SECRET = "whsec_Old-Rotated-Secret_11aa"
OTHER_SECRET = "whsec_someone-elses-secret_77"
NOW = 1_763_720_130
EVENT_ID = "evt_7Yt2mK"
PAYMENT_ID = "5a0c8f0e-6f3b-4d8e-9f60-2c7f3d1b9a11"


def event_dict(event_id: str = EVENT_ID, status: str = "P_COMPLETED", memo: str = "INV-1") -> Any:
    return {
        "id": event_id,
        "type": "paymentStatusUpdate",
        "created_at": "2025-11-21T10:15:30.123Z",
        "data": {
            "payment": {
                "timestamp": "2025-11-21T10:15:30.100Z",
                "actor": "cli_9x7",
                "request_id": "0d3f1c5e-2a4b-4c6d-8e9f-0a1b2c3d4e5f",
                "id": PAYMENT_ID,
                "type": "ach",
                "status": status,
                "amount": "1250.00",
                "currency": "USD",
                "source_account_id": "acc_8f2k19",
                "counterparty": {"name": "Acme Supply", "account_number_last4": "6789"},
                "memo": memo,
                "created_at": "2025-11-20T09:00:00.000Z",
                "status_history": [
                    {"status": "P_PENDING", "at": "2025-11-20T09:00:00.000Z"},
                    {"status": status, "at": "2025-11-21T10:15:30.000Z"},
                ],
            }
        },
    }


def event_body(event_id: str = EVENT_ID, status: str = "P_COMPLETED", memo: str = "INV-1") -> bytes:
    return json.dumps(event_dict(event_id, status, memo), ensure_ascii=False).encode("utf-8")


def hmac_hex(secret: str, timestamp: int | str, delivery_id: str, body: bytes) -> str:
    message = f"{timestamp}.{delivery_id}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def headers_for(
    body: bytes,
    *,
    secret: str = SECRET,
    delivery_id: str = "whd_0001",
    timestamp: int = NOW,
) -> dict[str, str]:
    return {
        "Webhook-Event-ID": delivery_id,
        "Webhook-Signature": f"t={timestamp},v1={hmac_hex(secret, timestamp, delivery_id, body)}",
    }
