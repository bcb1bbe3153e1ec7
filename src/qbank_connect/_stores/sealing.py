"""Encryption at rest for the stores (token cache, payment journal): AES-256-GCM, no I/O.

A key is derived from a secret with HKDF-SHA256 (a salt and an ``info`` naming the store);
every value is sealed with a fresh 96-bit nonce and associated data naming where it lives, so
a value moved to another entry, or altered, does not open. Several secrets may be given: the
first seals, any of them opens (rotation).

Example::

    sealer = Sealer([b"new secret", b"old secret"], info=b"qbank-connect journal v1")
    blob = sealer.seal(b"plain", aad=b"entry-1")
    assert sealer.open(blob, aad=b"entry-1") == b"plain"
    assert sealer.open(blob, aad=b"entry-2") is None
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .urls import require_driver

__all__ = ["Sealer"]

_VERSION = b"\x01"
_NONCE = 12
_TAG = 16


class Sealer:
    """Seals with the first secret's key, opens with any of them."""

    __slots__ = ("_aeads", "_invalid_tag")

    def __init__(
        self, secrets: Sequence[bytes], *, info: bytes, salt: bytes = b"", purpose: str = ""
    ) -> None:
        if not secrets:
            raise ValueError("a sealer needs at least one secret")
        require_driver("cryptography", purpose=purpose or "encryption at rest")
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        aeads: list[Any] = []
        for secret in secrets:
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(
                secret
            )
            aeads.append(AESGCM(derived))
        self._aeads = tuple(aeads)
        self._invalid_tag = InvalidTag

    def __repr__(self) -> str:
        return "Sealer('***')"

    def seal(self, plain: bytes, aad: bytes) -> bytes:
        """``plain`` encrypted and authenticated, bound to ``aad``."""
        nonce = os.urandom(_NONCE)
        sealed: bytes = self._aeads[0].encrypt(nonce, plain, aad)
        return _VERSION + nonce + sealed

    def open(self, blob: bytes, aad: bytes) -> bytes | None:
        """The plain bytes, or ``None`` if ``blob`` is not intact, not for ``aad``, or sealed
        under none of the secrets."""
        if len(blob) < 1 + _NONCE + _TAG or blob[:1] != _VERSION:
            return None
        nonce, sealed = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        for aead in self._aeads:
            try:
                plain = aead.decrypt(nonce, sealed, aad)
            except self._invalid_tag:
                continue
            return bytes(plain)
        return None
