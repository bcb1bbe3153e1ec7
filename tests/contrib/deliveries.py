"""Signed deliveries for the framework integrations' tests: good ones and every kind of bad one."""

from __future__ import annotations

import time
from typing import Any

from qbank_connect.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, sign, signed_headers

from ..webhooks.webhook_samples import SECRET, event_body

ATTACKER = "whsec_attacker_guess"


def delivery(
    event_id: str, *, attempt: str | None = None, **kwargs: Any
) -> tuple[bytes, dict[str, str]]:
    """A genuine delivery of the event (a new ``Webhook-Event-ID`` unless ``attempt`` is given)."""
    body = event_body(event_id=event_id, **kwargs)
    return body, signed_headers(body, SECRET, attempt, int(time.time()))


def bad_deliveries(event_id: str) -> dict[str, tuple[bytes, Any, str]]:
    """label -> (body, headers, expected reason); none of them may be handled."""
    now = int(time.time())
    body = event_body(event_id=event_id)
    good = signed_headers(body, SECRET, "whd_bad", now)
    other_sig = sign(body, ATTACKER, "whd_bad", now)
    not_event = b'{"id": "' + event_id.encode() + b'", "type": "paymentStatusUpdate"}'
    return {
        "forged": (body, signed_headers(body, ATTACKER, timestamp=now), "no_matching_signature"),
        "tampered": (body.replace(b"1250.00", b"9999.00"), good, "no_matching_signature"),
        "failed-to-completed": (
            body,
            signed_headers(event_body(event_id, "P_FAILED"), SECRET),
            "no_matching_signature",
        ),
        "stale": (
            body,
            signed_headers(body, SECRET, timestamp=now - 301),
            "timestamp_outside_tolerance",
        ),
        "future": (
            body,
            signed_headers(body, SECRET, timestamp=now + 301),
            "timestamp_outside_tolerance",
        ),
        "missing signature": (body, {EVENT_ID_HEADER: "whd_bad"}, "missing_header"),
        "missing event id": (body, {SIGNATURE_HEADER: good[SIGNATURE_HEADER]}, "missing_header"),
        "malformed": (
            body,
            {**good, SIGNATURE_HEADER: f"t=soon,v1={'0' * 64}"},
            "malformed_header",
        ),
        # What a proxy or WSGI server makes of two Webhook-Signature headers.
        "folded duplicate": (
            body,
            {**good, SIGNATURE_HEADER: f"{other_sig},{good[SIGNATURE_HEADER]}"},
            "malformed_header",
        ),
        "not an event": (
            not_event,
            signed_headers(not_event, SECRET, timestamp=now),
            "invalid_event",
        ),
        # A body re-serialized by something that parsed it (stripe-python #424): not the bytes
        # QBank signed, so the signature cannot match.
        "re-serialized": (body.replace(b", ", b","), good, "no_matching_signature"),
    }
