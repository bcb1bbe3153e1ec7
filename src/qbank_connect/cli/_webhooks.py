"""``qbank webhooks send`` and ``qbank webhooks verify``: test a receiver before going live."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ._connect import read_secret_file
from ._errors import BadInput, CommandFailed
from ._exit import ExitCode
from ._inputs import read_bytes, read_headers
from ._output import Format, emit

__all__ = ["sample_event", "secrets", "send", "verify"]

RECEIVER_TIMEOUT = 10.0
"""QBank waits this long for a receiver's answer before it counts the attempt as failed."""


def secrets(secret_file: Path | None) -> list[str]:
    """The webhook secret(s): one per line of ``--secret-file``, else ``QBANK_WEBHOOK_SECRET``."""
    if secret_file is not None:
        read_secret_file(secret_file, "--secret-file")  # the same checks and messages
        lines = secret_file.read_text(encoding="utf-8").splitlines()
        return [line.strip() for line in lines if line.strip()]
    secret = os.environ.get("QBANK_WEBHOOK_SECRET")
    if not secret:
        raise BadInput("no webhook secret: pass --secret-file PATH or set QBANK_WEBHOOK_SECRET")
    return [secret]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sample_event(status: str = "P_COMPLETED", *, now: datetime | None = None) -> dict[str, Any]:
    """A realistic ``paymentStatusUpdate`` event: an ACH payment that just became final."""
    if status not in ("P_COMPLETED", "P_FAILED"):
        raise BadInput(f"--status must be P_COMPLETED or P_FAILED, got {status!r}")
    now = now or datetime.now(timezone.utc)
    created = now - timedelta(minutes=15)
    payment: dict[str, Any] = {
        "timestamp": _stamp(now),
        "actor": "qbank-core",
        "request_id": str(uuid.uuid4()),
        "id": str(uuid.uuid4()),
        "type": "ach",
        "status": status,
        "amount": "1250.00",
        "currency": "USD",
        "source_account_id": "acc_operating",
        "counterparty": {
            "name": "Acme Supply",
            "account_number_last4": "6789",
            "routing_number": "021000021",
        },
        "effective_date": created.date().isoformat(),
        "memo": "INV-1042",
        "created_at": _stamp(created),
        "updated_at": _stamp(now),
        "status_history": [
            {"status": "P_PENDING", "at": _stamp(created)},
            {"status": "P_PROCESSING", "at": _stamp(now)},
            {"status": status, "at": _stamp(now)},
        ],
    }
    if status == "P_FAILED":
        payment["failure_code"] = "R01"
        payment["failure_reason"] = "Insufficient funds"
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "type": "paymentStatusUpdate",
        "created_at": _stamp(now),
        "data": {"payment": payment},
    }


def send(*, to: str, secret_file: Path | None, event: str | None, status: str, fmt: Format) -> None:
    """Sign an event and POST it to ``to``; report the receiver's answer."""
    import httpx2

    from ..errors import QBankConnectionError
    from ..models import WebhookEvent
    from ..webhooks import signed_headers

    keys = secrets(secret_file)
    if event is not None:
        body = read_bytes(event, "--event")
        try:
            WebhookEvent.model_validate_json(body)
        except ValueError as exc:
            raise BadInput(
                f"--event: not a valid WebhookEvent: {str(exc).splitlines()[0]}"
            ) from None
    else:
        body = json.dumps(sample_event(status), separators=(",", ":")).encode()
    url = httpx2.URL(to)
    if url.scheme not in ("http", "https") or not url.host:
        raise BadInput(f"--to must be an http(s) URL, got {to!r}")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "qbank-cli-webhook-test",
        **signed_headers(body, keys if len(keys) > 1 else keys[0]),
    }
    started = time.monotonic()
    try:
        response = httpx2.post(url, content=body, headers=headers, timeout=RECEIVER_TIMEOUT)
    except httpx2.TimeoutException:
        raise QBankConnectionError(f"{to} did not answer within {RECEIVER_TIMEOUT:g}s") from None
    except httpx2.HTTPError as exc:
        raise QBankConnectionError(f"cannot deliver to {to}: {exc}") from None
    elapsed = time.monotonic() - started
    event_id = json.loads(body).get("id")
    answer = response.text[:500]
    emit(
        {
            "delivered_to": str(url),
            "event_id": event_id,
            "webhook_event_id": headers["Webhook-Event-ID"],
            "status_code": response.status_code,
            "elapsed_ms": round(elapsed * 1000),
            "acknowledged": response.is_success,
            "response_body": answer,
        },
        fmt,
    )
    if not response.is_success:
        raise CommandFailed(
            f"the receiver answered {response.status_code} (QBank would retry this delivery)",
            ExitCode.WEBHOOK,
        )


def verify(
    *,
    headers: str,
    secret_file: Path | None,
    body: str,
    now: float | None,
    tolerance: float,
    fmt: Format,
) -> None:
    """Verify a captured delivery; say why when it does not verify."""
    from ..errors import QBankWebhookVerificationError
    from ..webhooks import unwrap

    keys = secrets(secret_file)
    pairs = read_headers(headers)
    payload = read_bytes(body, "--body")
    try:
        event = unwrap(payload, pairs, keys, tolerance=tolerance, now=now)
    except QBankWebhookVerificationError as exc:
        # The SDK's advice names its argument (now=); here it is the --now option.
        message = str(exc).replace("pass now= the time", "pass --now UNIX_TIME, the time")
        emit({"verified": False, "reason": exc.reason, "message": message}, fmt)
        raise CommandFailed(f"not verified: {exc.reason}: {message}", ExitCode.WEBHOOK) from None
    emit(
        {
            "verified": True,
            "event_id": event.id,
            "type": str(event.type),
            "payment_id": event.payment.id,
            "payment_status": str(event.payment.status),
        },
        fmt,
    )
