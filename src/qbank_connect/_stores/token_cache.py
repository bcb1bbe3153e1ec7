"""The shared token cache, the parts without I/O: entry names and encryption at rest.

A cache entry is named ``qbank-token:<hash>``, the SHA-256 of (client id, scopes, base URL):
no secret, no token. Its value is sealed with AES-256-GCM under a key derived from the client
secret (HKDF-SHA256, salt = the entry's name, fixed ``info``), with the entry's name as
associated data: without the secret it cannot be read, and an entry moved to another name, or
altered, does not open. A token is stored with its refresh time on the wall clock, so every
process refreshes it at the same moment, ahead of its expiry.

Example::

    sealer = TokenSealer(Secret("client-secret"), token_cache_key("cid", None, base_url))
    blob = sealer.seal(access_token)
    sealer.open(blob)   # a CachedToken, or None if tampered with or sealed under another secret
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .._auth import AccessToken
from .._secrets import Secret
from .sealing import Sealer

__all__ = ["CachedToken", "TokenSealer", "token_cache_key"]

_INFO = b"qbank-connect token cache v1"


def token_cache_key(client_id: str, scopes: Sequence[str] | None, base_url: str) -> str:
    """The entry's name: shared by every process with the same client, scopes and server."""
    identity = json.dumps([client_id, sorted(scopes or ()), base_url], separators=(",", ":"))
    return "qbank-token:" + hashlib.sha256(identity.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class CachedToken:
    """A token read back from the cache. ``refresh_at`` is wall-clock time (``inf``: never)."""

    authorization: str
    scope: str | None
    refresh_at: float

    def __repr__(self) -> str:
        return f"CachedToken('***', scope={self.scope!r}, refresh_at={self.refresh_at!r})"

    def is_fresh(self) -> bool:
        return time.time() < self.refresh_at

    def access_token(self) -> AccessToken:
        """The token for this process, refreshed at the same wall-clock moment as the others."""
        token = AccessToken(self.authorization.removeprefix("Bearer "), expires_in=None)
        token.scope = self.scope
        if math.isfinite(self.refresh_at):
            token.refresh_at = time.monotonic() + (self.refresh_at - time.time())
        return token


def wall_refresh_at(token: AccessToken) -> float:
    """When ``token`` must be refreshed, on the wall clock (``inf``: it does not expire)."""
    if not math.isfinite(token.refresh_at):
        return math.inf
    return time.time() + (token.refresh_at - time.monotonic())


class TokenSealer:
    """Seals and opens the cache entry ``key`` with a key derived from the client secret."""

    __slots__ = ("_key", "_sealer")

    def __init__(self, client_secret: Secret, key: str) -> None:
        self._sealer = Sealer(
            [client_secret.reveal().encode()], info=_INFO, salt=key.encode(), purpose="token_cache="
        )
        self._key = key.encode()

    def __repr__(self) -> str:
        return "TokenSealer('***')"

    def seal(self, token: AccessToken) -> bytes:
        """The encrypted entry for ``token``."""
        refresh_at = wall_refresh_at(token)
        plain = json.dumps(
            {
                "authorization": token.authorization,
                "scope": token.scope,
                "refresh_at": refresh_at if math.isfinite(refresh_at) else None,
            },
            separators=(",", ":"),
        ).encode()
        return self._sealer.seal(plain, self._key)

    def open(self, blob: bytes) -> CachedToken | None:
        """The token in ``blob``, or None if it is not an intact entry sealed for this key."""
        plain = self._sealer.open(blob, self._key)
        if plain is None:
            return None
        try:
            entry = json.loads(plain)
            authorization = entry["authorization"]
            scope = entry["scope"]
            refresh_at = entry["refresh_at"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(authorization, str) or not authorization.startswith("Bearer "):
            return None
        if refresh_at is None:
            refresh_at = math.inf
        if isinstance(refresh_at, bool) or not isinstance(refresh_at, int | float):
            return None
        return CachedToken(authorization, scope if isinstance(scope, str) else None, refresh_at)
