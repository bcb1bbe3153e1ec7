"""Idempotency keys: one UUID v4 per logical call, reused by every automatic retry."""

from __future__ import annotations

import hashlib
import re
import uuid

__all__ = ["idempotency_key_for", "new_idempotency_key", "validate_idempotency_key"]

_CANONICAL_UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


def new_idempotency_key() -> str:
    """A fresh key: a random UUID v4 in canonical 36-character lowercase form."""
    return str(uuid.uuid4())


def idempotency_key_for(*parts: str) -> str:
    """The same canonical UUID v4 for the same ``parts``, in every process and on every day.

    QBank wants a UUID *v4* (lowercase, 36 characters), so ``uuid.uuid5`` (version 5) would be
    refused. Instead: hash the parts (SHA-256, joined by the unit separator), keep
    16 bytes, and set the version (4) and variant (RFC 4122) bits. 122 bits of the hash remain,
    so distinct instructions never share a key in practice. Put the operation in ``parts``, so
    paying and refunding the same invoice get different keys.

    Example::

        from qbank_connect import idempotency_key_for

        key = idempotency_key_for("pay_invoice", "INV-1042")
        assert key == idempotency_key_for("pay_invoice", "INV-1042")
        assert uuid.UUID(key).version == 4
    """
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"idempotency_key_for takes strings, got {type(part).__name__}")
    digest = hashlib.sha256(_SEPARATOR.join((_NAMESPACE, *parts)).encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


_NAMESPACE = "qbank-connect/v1"
_SEPARATOR = "\x1f"


def validate_idempotency_key(key: object) -> str:
    """Return ``key`` unchanged if it is a canonical UUID v4, else raise ``ValueError``.

    A string key is never normalised: QBank compares keys byte for byte, so a key that was
    changed on the way would not match the original request. A ``uuid.UUID`` of version 4 is
    sent in its canonical form, ``str(key)``.
    """
    if isinstance(key, uuid.UUID) and key.version == 4:
        return str(key)
    if not isinstance(key, str) or _CANONICAL_UUID4.fullmatch(key) is None:
        if isinstance(key, uuid.UUID):
            shown = f"a version-{key.version} UUID"
        else:
            shown = repr(key) if isinstance(key, str) and len(key) <= 64 else type(key).__name__
        raise ValueError(
            "idempotency_key must be a UUID v4 in canonical lowercase 36-character form "
            f"(e.g. {uuid.UUID(int=0x4, version=4)!s}), got {shown}"
        )
    return key
