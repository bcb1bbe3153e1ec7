"""Idempotency keys: one UUID v4 per logical call, reused by every automatic retry."""

from __future__ import annotations

import re
import uuid

__all__ = ["new_idempotency_key", "validate_idempotency_key"]

_CANONICAL_UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


def new_idempotency_key() -> str:
    """A fresh key: a random UUID v4 in canonical 36-character lowercase form."""
    return str(uuid.uuid4())


def validate_idempotency_key(key: object) -> str:
    """Return ``key`` unchanged if it is a canonical UUID v4, else raise ``ValueError``.

    The key is never normalised: QBank compares keys byte for byte, so a key that was changed on
    the way would not match the original request.
    """
    if not isinstance(key, str) or _CANONICAL_UUID4.fullmatch(key) is None:
        shown = repr(key) if isinstance(key, str) and len(key) <= 64 else type(key).__name__
        raise ValueError(
            "idempotency_key must be a UUID v4 in canonical lowercase 36-character form "
            f"(e.g. {uuid.UUID(int=0x4, version=4)!s}), got {shown}"
        )
    return key
