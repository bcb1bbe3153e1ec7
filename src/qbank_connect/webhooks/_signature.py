"""The ``Webhook-Signature`` scheme: HMAC-SHA256 over ``<t>.<Webhook-Event-ID>.<raw body>``.

Pure functions, no I/O. Arguments are checked here (the SDK's callers are not all type-checked);
no message ever contains a secret or an expected signature.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Union, cast

from ..errors import WebhookMalformedHeaderError, WebhookSignatureError, WebhookTimestampError
from ._checks import is_int, is_number
from ._headers import SIGNATURE_HEADER, check_event_id, collect_headers

__all__ = [
    "DEFAULT_TOLERANCE",
    "NOT_A_SECRET",
    "Now",
    "SecretInput",
    "keys_from_secret",
    "now_seconds",
    "payload_bytes",
    "signature_header",
    "tolerance_seconds",
    "verify_delivery",
]

DEFAULT_TOLERANCE: Final = 300
"""Seconds a delivery's ``t`` may be away from the receiver's clock, in either direction."""

SecretInput = Union[str, Sequence[str]]
"""One shared secret, or several while rotating (a delivery is valid if any of them matches)."""

Now = Union[float, datetime, None]
"""A receive time: unix seconds, or an aware ``datetime``; ``None`` means the current time."""

NOT_A_SECRET: Final = "the webhook secret must be a str or a sequence of str"

# Cheap bounds on attacker-controlled input, far above anything QBank sends.
_MAX_SIGNATURE_ENTRIES: Final = 32
_MAX_V1_SIGNATURES: Final = 16
_MAX_TIMESTAMP_DIGITS: Final = 12
_MAX_SECRETS: Final = 16
_HEX_DIGEST_CHARS: Final = 64  # SHA-256

_HEX: Final = frozenset("0123456789abcdefABCDEF")
_DIGITS: Final = frozenset("0123456789")


def keys_from_secret(secret: object) -> tuple[bytes, ...]:
    """Validate secret(s) and return their UTF-8 bytes. Errors never include the secret."""
    if isinstance(secret, str):
        items: list[object] = [secret]
    elif isinstance(secret, (bytes, bytearray, memoryview)):
        raise TypeError("the webhook secret must be a str (or a sequence of str)")
    elif isinstance(secret, Sequence):
        items = list(cast("Sequence[object]", secret))
        if not items:
            raise ValueError("at least one webhook secret is required")
        if len(items) > _MAX_SECRETS:
            raise ValueError(f"at most {_MAX_SECRETS} webhook secrets can be configured")
    else:
        raise TypeError(NOT_A_SECRET)
    keys: list[bytes] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError("every webhook secret must be a str")
        if not item:
            raise ValueError("a webhook secret must not be empty")
        try:
            keys.append(item.encode("utf-8"))
        except UnicodeEncodeError:
            raise ValueError("a webhook secret is not encodable as UTF-8") from None
    return tuple(keys)


def payload_bytes(payload: object) -> bytes | str:
    """The raw body as given: ``bytes`` (copied from a buffer) or a ``str`` kept as is."""
    # A str is encoded only when hashing, so a body that cannot be encoded becomes a
    # verification failure (it cannot be what QBank signed) rather than a UnicodeError.
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, (bytearray, memoryview)):
        return bytes(cast("bytes", payload))
    if isinstance(payload, str):
        return payload
    raise TypeError("payload must be the raw request body as bytes (or str)")


def tolerance_seconds(tolerance: object) -> float:
    value = tolerance.total_seconds() if isinstance(tolerance, timedelta) else tolerance
    if not is_number(value):
        raise TypeError("tolerance must be seconds (int or float) or a timedelta")
    if not math.isfinite(value) or value < 0:
        raise ValueError("tolerance must be a finite, non-negative number of seconds")
    return float(value)


def now_seconds(now: object) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be an aware datetime (e.g. datetime.now(timezone.utc))")
        return now.timestamp()
    if not is_number(now):
        raise TypeError("now must be unix seconds (int or float) or an aware datetime")
    if not math.isfinite(now):
        raise ValueError("now must be a finite unix time")
    return float(now)


def signature_header(
    keys: tuple[bytes, ...], payload: object, event_id: object, timestamp: object
) -> str:
    """The ``Webhook-Signature`` value: ``t=`` then one ``v1=`` per key, in order."""
    body = payload_bytes(payload)
    if isinstance(body, str):
        try:
            body = body.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("payload is a str that cannot be encoded as UTF-8") from None
    event_id = check_event_id(event_id, for_signing=True)
    if timestamp is None:
        timestamp = int(time.time())
    elif not is_int(timestamp):
        raise TypeError("timestamp must be an int (unix seconds)")
    if timestamp < 0 or len(str(timestamp)) > _MAX_TIMESTAMP_DIGITS:
        raise ValueError("timestamp must be a non-negative unix time in seconds")
    t = str(timestamp)
    entries = [f"t={t}"]
    entries.extend(f"v1={_digest(key, t, event_id, body)}" for key in keys)
    return ",".join(entries)


def verify_delivery(
    payload: bytes | str,
    headers: object,
    keys: tuple[bytes, ...],
    tolerance: float,
    now: float,
) -> bytes:
    """Check the signature (constant time, every key), then the timestamp; return the body."""
    signature, event_id = collect_headers(headers)
    timestamp, candidates = _parse_signature(signature)

    if isinstance(payload, str):
        try:
            body = payload.encode("utf-8")
        except UnicodeEncodeError:
            raise WebhookSignatureError(
                "the payload str cannot be encoded as UTF-8, so it is not the signed body; "
                "pass the raw request body bytes"
            ) from None
    else:
        body = payload

    matched = False
    for key in keys:
        expected = _digest(key, timestamp, event_id, body).encode("ascii")
        for candidate in candidates:
            # No early exit: the work done does not depend on which entry matched.
            matched |= hmac.compare_digest(expected, candidate.encode("ascii"))
    if not matched:
        raise WebhookSignatureError(
            f"no {SIGNATURE_HEADER} v1= signature matches the configured webhook secret(s) "
            "(forged or altered delivery, a body that is not the raw request bytes, "
            "or the wrong secret)"
        )

    skew = now - int(timestamp)
    if abs(skew) > tolerance:
        direction = "old" if skew > 0 else "in the future"
        raise WebhookTimestampError(
            f"the {SIGNATURE_HEADER} timestamp t={timestamp} is {abs(skew):.1f} s {direction}; "
            f"the tolerance is {tolerance:g} s (a replay, a wrong clock, or a queued delivery "
            "verified late: pass now= the time it was received)"
        )
    return body


def _digest(key: bytes, timestamp: str, event_id: str, body: bytes) -> str:
    mac = hmac.new(key, f"{timestamp}.{event_id}.".encode("ascii"), hashlib.sha256)
    mac.update(body)
    return mac.hexdigest()


def _parse_signature(value: str) -> tuple[str, list[str]]:
    """Return (t as sent, [v1 hex signatures in lowercase]); unknown schemes are ignored."""
    if not value.isascii():
        raise WebhookMalformedHeaderError(f"the {SIGNATURE_HEADER} header is not ASCII")
    entries = value.split(",")
    if len(entries) > _MAX_SIGNATURE_ENTRIES:
        raise WebhookMalformedHeaderError(
            f"the {SIGNATURE_HEADER} header has more than {_MAX_SIGNATURE_ENTRIES} entries"
        )
    timestamp: str | None = None
    signatures: list[str] = []
    for raw in entries:
        entry = raw.strip(" \t")
        scheme, sep, text = entry.partition("=")
        if not sep or not scheme:
            raise WebhookMalformedHeaderError(
                f"the {SIGNATURE_HEADER} header has an entry that is not key=value"
            )
        if scheme == "t":
            if timestamp is not None:
                raise WebhookMalformedHeaderError(
                    f"the {SIGNATURE_HEADER} header has more than one t= "
                    "(was the header sent twice?)"
                )
            if not (0 < len(text) <= _MAX_TIMESTAMP_DIGITS and set(text) <= _DIGITS):
                raise WebhookMalformedHeaderError(
                    f"the {SIGNATURE_HEADER} timestamp t= is not an integer number of seconds"
                )
            timestamp = text
        elif scheme == "v1":
            if len(text) != _HEX_DIGEST_CHARS or not set(text) <= _HEX:
                raise WebhookMalformedHeaderError(
                    f"a {SIGNATURE_HEADER} v1= entry is not {_HEX_DIGEST_CHARS} hex digits"
                )
            signatures.append(text.lower())
        # Any other scheme (v0=, a future v2=) is ignored.
    if timestamp is None:
        raise WebhookMalformedHeaderError(f"the {SIGNATURE_HEADER} header has no t= timestamp")
    if not signatures:
        raise WebhookMalformedHeaderError(f"the {SIGNATURE_HEADER} header has no v1= signature")
    if len(signatures) > _MAX_V1_SIGNATURES:
        raise WebhookMalformedHeaderError(
            f"the {SIGNATURE_HEADER} header has more than {_MAX_V1_SIGNATURES} v1= signatures"
        )
    return timestamp, signatures
