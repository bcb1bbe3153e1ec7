"""Find QBank's two webhook headers in whatever a web framework calls request headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, cast

from ..errors import WebhookMalformedHeaderError, WebhookMissingHeaderError

__all__ = [
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "HeadersLike",
    "MAX_EVENT_ID_CHARS",
    "check_event_id",
    "collect_headers",
]

EVENT_ID_HEADER: Final = "Webhook-Event-ID"
"""The header naming one delivery attempt (a new value on every retry)."""

SIGNATURE_HEADER: Final = "Webhook-Signature"
"""The header carrying ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``."""

HeadersLike = object
"""Request headers: any mapping (``dict``, httpx2, Starlette, Django, aiohttp,
``email.message.Message``) or an iterable of ``(name, value)`` pairs such as an ASGI scope's
``headers``; names and values may be ``str`` or ``bytes``. Names match case-insensitively."""

# Cheap bounds on attacker-controlled input, far above anything QBank sends.
MAX_EVENT_ID_CHARS: Final = 512
_MAX_SIGNATURE_HEADER_CHARS: Final = 4096
_MAX_HEADER_COUNT: Final = 1024

_WANTED: Final = frozenset({SIGNATURE_HEADER.lower(), EVENT_ID_HEADER.lower()})
_NOT_HEADERS: Final = "headers must be a mapping or an iterable of (name, value) pairs"


def collect_headers(headers: object) -> tuple[str, str]:
    """Return (signature, event_id), each present exactly once."""
    found: dict[str, list[object]] = {}
    for count, pair in enumerate(_header_pairs(headers), start=1):
        if count > _MAX_HEADER_COUNT:
            raise WebhookMalformedHeaderError(f"more than {_MAX_HEADER_COUNT} request headers")
        try:
            name, value = cast("tuple[object, object]", pair)
        except (TypeError, ValueError):
            raise TypeError(_NOT_HEADERS) from None
        key = _header_name(name)
        if key in _WANTED:
            found.setdefault(key, []).append(value)
    signature = _single_header(found, SIGNATURE_HEADER, _MAX_SIGNATURE_HEADER_CHARS)
    event_id = _single_header(found, EVENT_ID_HEADER, MAX_EVENT_ID_CHARS)
    return signature, check_event_id(event_id, for_signing=False)


def check_event_id(event_id: object, *, for_signing: bool) -> str:
    """Return the id, or reject an id that is not 1-512 printable ASCII chars without spaces.

    A bad id given to :func:`~qbank_connect.webhooks.sign` is a ``ValueError`` (a programming
    error); a bad ``Webhook-Event-ID`` header is a malformed delivery.
    """
    if not isinstance(event_id, str):
        raise TypeError("event_id must be a str")
    ok = (
        0 < len(event_id) <= MAX_EVENT_ID_CHARS
        and event_id.isascii()
        and event_id.isprintable()
        and " " not in event_id
    )
    if not ok:
        if for_signing:
            raise ValueError(
                f"event_id must be 1-{MAX_EVENT_ID_CHARS} printable ASCII chars without spaces"
            )
        raise WebhookMalformedHeaderError(
            f"the {EVENT_ID_HEADER} header must be printable ASCII without spaces"
        )
    return event_id


def _header_pairs(headers: object) -> Iterable[object]:
    # multi_items() first: httpx2.Headers.items() joins repeated headers with ", ".
    multi_items = getattr(headers, "multi_items", None)
    if callable(multi_items):
        return cast("Iterable[object]", multi_items())
    if isinstance(headers, (str, bytes, bytearray, memoryview)):
        raise TypeError(_NOT_HEADERS)
    items = getattr(headers, "items", None)
    if callable(items):
        return cast("Iterable[object]", items())
    if isinstance(headers, Iterable):
        return cast("Iterable[object]", headers)
    raise TypeError(_NOT_HEADERS)


def _header_name(name: object) -> str | None:
    if isinstance(name, str):
        return name.lower()
    if isinstance(name, (bytes, bytearray)):
        return bytes(name).decode("latin-1").lower()
    return None


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
