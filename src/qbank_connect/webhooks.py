"""Verify QBank's signed ``paymentStatusUpdate`` deliveries and turn them into typed events.

QBank POSTs a :class:`~qbank_connect.models.WebhookEvent` when a payment reaches ``P_COMPLETED``
or ``P_FAILED``, with two headers:

* ``Webhook-Event-ID``: unique per delivery *attempt*;
* ``Webhook-Signature``: ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``, where each ``v1`` is the
  lowercase hex HMAC-SHA256, keyed with the UTF-8 bytes of the shared secret, of the bytes
  ``<t>.<Webhook-Event-ID>.<raw request body>``.

:func:`unwrap` checks the signature (in constant time, against every configured secret), then
the timestamp (300 s either way), and only then parses the body. Anything wrong raises a
:class:`~qbank_connect.errors.QBankWebhookVerificationError` whose ``reason`` says why: answer it
with 400 and do not act on it. Messages never contain the secret or the expected signature.
Delivery is at-least-once, so de-duplicate on the event's ``id`` (see
:class:`EventDeduplicator`), not on ``Webhook-Event-ID``.

Always pass the *raw* request body, never JSON you parsed and re-serialized.

Example::

    from qbank_connect.errors import QBankWebhookVerificationError
    from qbank_connect.webhooks import unwrap

    try:
        event = unwrap(request_body, request_headers, secret=os.environ["QBANK_WEBHOOK_SECRET"])
    except QBankWebhookVerificationError as e:
        return 400, e.reason
    if event.payment.is_completed:
        release_goods(event.payment.id)
    return 200

This module is pure (no I/O) and shared by ``QBankConnect.webhooks`` and
``AsyncQBankConnect.webhooks``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, TypeGuard, Union, cast

from pydantic import ValidationError

from .errors import (
    WebhookInvalidEventError,
    WebhookMalformedHeaderError,
    WebhookMissingHeaderError,
    WebhookSignatureError,
    WebhookTimestampError,
)
from .models import WebhookEvent

__all__ = [
    "DEFAULT_TOLERANCE",
    "EVENT_ID_HEADER",
    "EventDeduplicator",
    "SIGNATURE_HEADER",
    "WebhookInvalidEventError",
    "WebhookMalformedHeaderError",
    "WebhookMissingHeaderError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "Webhooks",
    "sign",
    "signed_headers",
    "unwrap",
    "verify",
]

EVENT_ID_HEADER: Final = "Webhook-Event-ID"
"""The header naming one delivery attempt (a new value on every retry)."""

SIGNATURE_HEADER: Final = "Webhook-Signature"
"""The header carrying ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``."""

DEFAULT_TOLERANCE: Final = 300
"""Seconds a delivery's ``t`` may be away from the receiver's clock, in either direction."""

# Cheap bounds on attacker-controlled input, far above anything QBank sends.
_MAX_SIGNATURE_HEADER_CHARS: Final = 4096
_MAX_SIGNATURE_ENTRIES: Final = 32
_MAX_V1_SIGNATURES: Final = 16
_MAX_EVENT_ID_CHARS: Final = 512
_MAX_TIMESTAMP_DIGITS: Final = 12
_MAX_HEADER_COUNT: Final = 1024
_MAX_SECRETS: Final = 16
_HEX_DIGEST_CHARS: Final = 64  # SHA-256

_HEX: Final = frozenset("0123456789abcdefABCDEF")
_DIGITS: Final = frozenset("0123456789")
_WANTED: Final = frozenset({SIGNATURE_HEADER.lower(), EVENT_ID_HEADER.lower()})

SecretInput = Union[str, Sequence[str]]
"""One shared secret, or several while rotating (a delivery is valid if any of them matches)."""

Now = Union[float, datetime, None]
"""A receive time: unix seconds, or an aware ``datetime``; ``None`` means the current time."""

HeadersLike = object
"""Request headers: any mapping (``dict``, httpx2, Starlette, Django, aiohttp,
``email.message.Message``) or an iterable of ``(name, value)`` pairs such as an ASGI scope's
``headers``; names and values may be ``str`` or ``bytes``. Names match case-insensitively."""


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def verify(
    payload: bytes | str,
    headers: HeadersLike,
    secret: SecretInput,
    *,
    tolerance: float | timedelta = DEFAULT_TOLERANCE,
    now: Now = None,
) -> None:
    """Check that a delivery is authentic and fresh; raise if it is not. The body is not parsed.

    ``payload`` is the raw request body (``bytes``, or ``str`` which is encoded as UTF-8);
    ``headers`` is any mapping of request headers (``dict``, httpx2, Starlette, Django,
    ``email.message.Message``) or an iterable of ``(name, value)`` pairs, matched
    case-insensitively. A header given more than once is rejected. ``secret`` is a string or a
    sequence of strings (rotation). ``now`` is the receive time (unix seconds or an aware
    ``datetime``; default: the current time), which you pass when verifying queued deliveries.

    Raises :class:`~qbank_connect.errors.QBankWebhookVerificationError` (a subclass per
    ``reason``); ``ValueError``/``TypeError`` only for programming errors such as an empty secret.

    Example::

        verify(request.body, request.headers, "whsec_...")  # raises unless authentic and fresh
    """
    keys = _keys_from_secret(secret)
    _verify(_payload_bytes(payload), headers, keys, _tolerance_seconds(tolerance), _now(now))


def unwrap(
    payload: bytes | str,
    headers: HeadersLike,
    secret: SecretInput,
    *,
    tolerance: float | timedelta = DEFAULT_TOLERANCE,
    now: Now = None,
) -> WebhookEvent:
    """Verify a delivery (see :func:`verify`), then parse it as a :class:`WebhookEvent`.

    JSON is parsed only after the signature and timestamp have been checked; an authentic body
    that is not a valid ``WebhookEvent`` raises :class:`WebhookInvalidEventError`
    (``reason="invalid_event"``).

    Example::

        event = unwrap(await request.body(), request.headers, secret="whsec_...")
        if event.payment.is_completed:
            ...
    """
    keys = _keys_from_secret(secret)
    body = _verify(_payload_bytes(payload), headers, keys, _tolerance_seconds(tolerance), _now(now))
    return _parse_event(body)


def sign(
    payload: bytes | str,
    secret: SecretInput,
    event_id: str,
    timestamp: int | None = None,
) -> str:
    """Return the ``Webhook-Signature`` value QBank would send for this body and delivery id.

    ``timestamp`` defaults to the current unix time. With several secrets, one ``v1=`` entry is
    produced per secret, in order, as QBank does during a rotation. Meant for tests and sandboxes.

    Example::

        header = sign(b'{"id":"evt_1"}', "whsec_test", "whd_1", timestamp=1763720130)
        # 't=1763720130,v1=<64 hex digits>'
    """
    keys = _keys_from_secret(secret)
    body = _payload_bytes(payload)
    if isinstance(body, str):
        try:
            body = body.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("payload is a str that cannot be encoded as UTF-8") from None
    _check_event_id(event_id, for_signing=True)
    if timestamp is None:
        timestamp = int(time.time())
    elif not _is_int(timestamp):
        raise TypeError("timestamp must be an int (unix seconds)")
    if timestamp < 0 or len(str(timestamp)) > _MAX_TIMESTAMP_DIGITS:
        raise ValueError("timestamp must be a non-negative unix time in seconds")
    t = str(timestamp)
    entries = [f"t={t}"]
    entries.extend(f"v1={_digest(key, t, event_id, body)}" for key in keys)
    return ",".join(entries)


def signed_headers(
    payload: bytes | str,
    secret: SecretInput,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Return both webhook headers for a body, as QBank sends them; handy in receiver tests.

    ``event_id`` defaults to a fresh random id, as each real delivery attempt has.

    Example::

        body = event.model_dump_json().encode()
        response = test_client.post("/webhooks/qbank", content=body,
                                    headers=signed_headers(body, "whsec_test"))
    """
    if event_id is None:
        event_id = f"whd_{uuid.uuid4().hex}"
    return {
        EVENT_ID_HEADER: event_id,
        SIGNATURE_HEADER: sign(payload, secret, event_id, timestamp),
    }


# --------------------------------------------------------------------------------------------
# The bound helper clients expose as ``client.webhooks``
# --------------------------------------------------------------------------------------------


class Webhooks:
    """Webhook verification bound to the secret(s) configured on a client (``client.webhooks``).

    ``secret`` is a string, a sequence of strings while rotating, or ``None`` when the client
    was built without ``webhook_secret=`` (then :meth:`verify`/:meth:`unwrap` raise
    ``ValueError``). The repr never shows the secret.

    Example::

        client = QBankConnect(token="...", webhook_secret=os.environ["QBANK_WEBHOOK_SECRET"])
        event = client.webhooks.unwrap(request.body, request.headers)
    """

    __slots__ = ("_keys",)

    def __init__(self, secret: SecretInput | None) -> None:
        self._keys: tuple[bytes, ...] | None = None if secret is None else _keys_from_secret(secret)

    @property
    def configured(self) -> bool:
        """True when at least one webhook secret is configured."""
        return self._keys is not None

    def verify(
        self,
        payload: bytes | str,
        headers: HeadersLike,
        *,
        tolerance: float | timedelta = DEFAULT_TOLERANCE,
        now: Now = None,
    ) -> None:
        """Like :func:`verify`, with the configured secret(s).

        Example::

            client.webhooks.verify(request.body, request.headers)
        """
        _verify(
            _payload_bytes(payload),
            headers,
            self._require_keys(),
            _tolerance_seconds(tolerance),
            _now(now),
        )

    def unwrap(
        self,
        payload: bytes | str,
        headers: HeadersLike,
        *,
        tolerance: float | timedelta = DEFAULT_TOLERANCE,
        now: Now = None,
    ) -> WebhookEvent:
        """Like :func:`unwrap`, with the configured secret(s).

        Example::

            event = client.webhooks.unwrap(await request.body(), request.headers)
        """
        keys = self._require_keys()
        body = _verify(
            _payload_bytes(payload), headers, keys, _tolerance_seconds(tolerance), _now(now)
        )
        return _parse_event(body)

    def _require_keys(self) -> tuple[bytes, ...]:
        if self._keys is None:
            raise ValueError(
                "no webhook secret is configured: pass webhook_secret=... to the client "
                "or set the QBANK_WEBHOOK_SECRET environment variable"
            )
        return self._keys

    def __repr__(self) -> str:
        if self._keys is None:
            return "Webhooks(secret=None)"
        n = len(self._keys)
        return f"Webhooks(secret=<{n} secret{'s' if n != 1 else ''} configured>)"


# --------------------------------------------------------------------------------------------
# De-duplication
# --------------------------------------------------------------------------------------------


class EventDeduplicator:
    """Remembers event ids in memory so a re-delivered event is acknowledged but handled once.

    QBank delivers at least once: a retried event has a new ``Webhook-Event-ID`` header but the
    same body ``id``, which is the key used here. Entries expire after ``ttl`` (default 72 h,
    QBank's retry window) and the oldest are dropped beyond ``max_entries``. Thread-safe; fine to
    call from async code (it never blocks for long).

    The memory is per process and lost on restart. With several workers or processes, use the
    durable pattern instead: in the same database transaction as your side effect, insert
    ``event.id`` into a table with a UNIQUE constraint (or ``INSERT ... ON CONFLICT DO NOTHING``)
    and skip the work when the row already exists; answer 200 either way.

    If handling fails after :meth:`first_time`, call :meth:`forget` and answer 500 so QBank's
    retry is handled again.

    Example::

        dedup = EventDeduplicator()

        event = client.webhooks.unwrap(body, headers)
        if dedup.first_time(event):
            try:
                handle(event)
            except Exception:
                dedup.forget(event)
                raise
        return 200
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        ttl: float | timedelta = timedelta(hours=72),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not _is_int(max_entries) or max_entries < 1:
            raise ValueError("max_entries must be a positive int")
        ttl_seconds: object = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
        if not _is_number(ttl_seconds):
            raise TypeError("ttl must be seconds or a timedelta")
        if not math.isfinite(ttl_seconds) or ttl_seconds <= 0:
            raise ValueError("ttl must be positive and finite")
        self._max_entries = max_entries
        self._ttl = float(ttl_seconds)
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event: WebhookEvent | str) -> bool:
        """Record the event and return True if it was not seen (within ``ttl``) before.

        Atomic: of several concurrent deliveries of one event, exactly one gets True.

        Example::

            if dedup.first_time(event):
                handle(event)
        """
        key = _event_key(event)
        with self._lock:
            now = self._clock()
            self._purge(now)
            if key in self._expiry:
                return False
            self._expiry[key] = now + self._ttl
            while len(self._expiry) > self._max_entries:
                self._expiry.popitem(last=False)
            return True

    def seen(self, event: WebhookEvent | str) -> bool:
        """Return True if the event was recorded (within ``ttl``); does not record it.

        Example::

            if dedup.seen(event):
                return 200  # already handled
        """
        key = _event_key(event)
        with self._lock:
            self._purge(self._clock())
            return key in self._expiry

    def forget(self, event: WebhookEvent | str) -> None:
        """Drop the event, e.g. when handling it failed and QBank's retry should be handled.

        Example::

            dedup.forget(event)
        """
        key = _event_key(event)
        with self._lock:
            self._expiry.pop(key, None)

    def clear(self) -> None:
        """Forget every event."""
        with self._lock:
            self._expiry.clear()

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._expiry)

    def __repr__(self) -> str:
        return f"EventDeduplicator(max_entries={self._max_entries}, ttl={self._ttl:g})"

    def _purge(self, now: float) -> None:
        # Insertion order is expiry order (ttl is constant), so expired entries are at the front.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]


def _event_key(event: object) -> str:
    if isinstance(event, WebhookEvent):
        return event.id
    if isinstance(event, str):
        return event
    raise TypeError("pass a WebhookEvent or its id (str)")


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _keys_from_secret(secret: object) -> tuple[bytes, ...]:
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
        raise TypeError("the webhook secret must be a str or a sequence of str")
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


def _payload_bytes(payload: object) -> bytes | str:
    # A str is kept as is and encoded when hashing, so a body that cannot be encoded becomes a
    # verification failure (it cannot be what QBank signed) rather than a UnicodeError.
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, (bytearray, memoryview)):
        return bytes(cast("bytes", payload))
    if isinstance(payload, str):
        return payload
    raise TypeError("payload must be the raw request body as bytes (or str)")


def _tolerance_seconds(tolerance: object) -> float:
    value = tolerance.total_seconds() if isinstance(tolerance, timedelta) else tolerance
    if not _is_number(value):
        raise TypeError("tolerance must be seconds (int or float) or a timedelta")
    if not math.isfinite(value) or value < 0:
        raise ValueError("tolerance must be a finite, non-negative number of seconds")
    return float(value)


def _now(now: object) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be an aware datetime (e.g. datetime.now(timezone.utc))")
        return now.timestamp()
    if not _is_number(now):
        raise TypeError("now must be unix seconds (int or float) or an aware datetime")
    if not math.isfinite(now):
        raise ValueError("now must be a finite unix time")
    return float(now)


def _header_pairs(headers: object) -> Iterable[object]:
    # multi_items() first: httpx2.Headers.items() joins repeated headers with ", ".
    multi_items = getattr(headers, "multi_items", None)
    if callable(multi_items):
        return cast("Iterable[object]", multi_items())
    if isinstance(headers, (str, bytes, bytearray, memoryview)):
        raise TypeError("headers must be a mapping or an iterable of (name, value) pairs")
    items = getattr(headers, "items", None)
    if callable(items):
        return cast("Iterable[object]", items())
    if isinstance(headers, Iterable):
        return cast("Iterable[object]", headers)
    raise TypeError("headers must be a mapping or an iterable of (name, value) pairs")


def _header_name(name: object) -> str | None:
    if isinstance(name, str):
        return name.lower()
    if isinstance(name, (bytes, bytearray)):
        return bytes(name).decode("latin-1").lower()
    return None


def _collect_headers(headers: object) -> tuple[str, str]:
    """Return (signature, event_id), each present exactly once."""
    found: dict[str, list[object]] = {}
    for count, pair in enumerate(_header_pairs(headers), start=1):
        if count > _MAX_HEADER_COUNT:
            raise WebhookMalformedHeaderError(f"more than {_MAX_HEADER_COUNT} request headers")
        try:
            name, value = cast("tuple[object, object]", pair)
        except (TypeError, ValueError):
            raise TypeError(
                "headers must be a mapping or an iterable of (name, value) pairs"
            ) from None
        key = _header_name(name)
        if key in _WANTED:
            found.setdefault(key, []).append(value)
    signature = _single_header(found, SIGNATURE_HEADER, _MAX_SIGNATURE_HEADER_CHARS)
    event_id = _single_header(found, EVENT_ID_HEADER, _MAX_EVENT_ID_CHARS)
    _check_event_id(event_id, for_signing=False)
    return signature, event_id


def _single_header(found: Mapping[str, list[object]], name: str, max_chars: int) -> str:
    values = found.get(name.lower(), [])
    if not values:
        raise WebhookMissingHeaderError(f"the {name} header is missing")
    if len(values) > 1:
        raise WebhookMalformedHeaderError(
            f"the {name} header appears {len(values)} times; exactly one is allowed"
        )
    value = values[0]
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise WebhookMalformedHeaderError(f"the {name} header is not ASCII") from None
    if not isinstance(value, str):
        raise WebhookMalformedHeaderError(f"the {name} header is not a string")
    if len(value) > max_chars:
        raise WebhookMalformedHeaderError(f"the {name} header is longer than {max_chars} chars")
    value = value.strip(" \t")
    if not value:
        raise WebhookMissingHeaderError(f"the {name} header is empty")
    return value


def _check_event_id(event_id: object, *, for_signing: bool) -> None:
    if not isinstance(event_id, str):
        raise TypeError("event_id must be a str")
    ok = (
        0 < len(event_id) <= _MAX_EVENT_ID_CHARS
        and event_id.isascii()
        and event_id.isprintable()
        and " " not in event_id
    )
    if not ok:
        if for_signing:
            raise ValueError(
                f"event_id must be 1-{_MAX_EVENT_ID_CHARS} printable ASCII chars without spaces"
            )
        raise WebhookMalformedHeaderError(
            f"the {EVENT_ID_HEADER} header must be printable ASCII without spaces"
        )


def _parse_signature_header(value: str) -> tuple[str, list[str]]:
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


def _digest(key: bytes, timestamp: str, event_id: str, body: bytes) -> str:
    mac = hmac.new(key, f"{timestamp}.{event_id}.".encode("ascii"), hashlib.sha256)
    mac.update(body)
    return mac.hexdigest()


def _verify(
    payload: bytes | str,
    headers: object,
    keys: tuple[bytes, ...],
    tolerance: float,
    now: float,
) -> bytes:
    signature_header, event_id = _collect_headers(headers)
    timestamp, candidates = _parse_signature_header(signature_header)

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


def _parse_event(body: bytes) -> WebhookEvent:
    try:
        return WebhookEvent.model_validate_json(body)
    except ValidationError as e:
        # Locations and messages only: pydantic's full text would copy body values (PII) into logs.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
            for err in e.errors(include_url=False, include_input=False, include_context=False)[:3]
        )
        raise WebhookInvalidEventError(
            f"the verified body is not a valid WebhookEvent ({problems})"
        ) from None
    except (ValueError, RecursionError):
        raise WebhookInvalidEventError("the verified body is not a valid WebhookEvent") from None
