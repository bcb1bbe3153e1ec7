"""Clients, OAuth 2.0 client-credentials tokens and Basic credentials."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

__all__ = [
    "ALL_SCOPES",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "SandboxClient",
    "Token",
    "TokenStore",
    "parse_basic_credentials",
]

DEMO_CLIENT_ID = "demo-client"
# Contains characters that must be form-encoded before Basic auth (RFC 6749 section 2.3.1).
DEMO_CLIENT_SECRET = "demo-s3cret:/+%="

ALL_SCOPES: tuple[str, ...] = (
    "accounts.read",
    "balances.read",
    "transactions.read",
    "payments.read",
    "payments.ach.write",
    "payments.wire.write",
    "transfers.write",
    "positivepay.issues.write",
    "positivepay.exceptions.read",
)


@dataclass(frozen=True)
class SandboxClient:
    """An API client the sandbox knows, with the scopes it may be granted, and how it
    authenticates: a secret, a public key (``private_key_jwt``: PEM, RSA or EC P-256; ``key_id``
    names it when set) or a certificate (``tls_client_auth``: PEM, the one the TLS connection of
    :meth:`Sandbox.serve` with ``ssl_context=`` must present; several PEM blocks register
    several, e.g. the current certificate and its successor during a rotation).

    Example::

        reader = SandboxClient("reader", "reader-secret", scopes=("accounts.read",))
        signer = SandboxClient("signer", public_key=public_pem, key_id="k1")
        mtls = SandboxClient("mtls", certificate=client_cert_pem)
        sandbox = Sandbox(clients=[reader, signer, mtls])
    """

    client_id: str
    client_secret: str | None = None
    scopes: tuple[str, ...] = ALL_SCOPES
    public_key: str | bytes | None = None
    key_id: str | None = None
    certificate: str | bytes | None = None


@dataclass(frozen=True)
class Token:
    """An issued access token."""

    value: str
    client_id: str
    scopes: frozenset[str]
    expires_at: datetime
    certificate: str | None = None
    """The SHA-256 thumbprint of the certificate the token is bound to (RFC 8705 section 3)."""


@dataclass
class TokenStore:
    """Issued tokens; not thread-safe by itself (the sandbox holds its lock around it)."""

    ttl_seconds: int
    tokens: dict[str, Token] = field(default_factory=dict[str, Token])

    def issue(
        self,
        client_id: str,
        scopes: Iterable[str],
        now: datetime,
        *,
        certificate: str | None = None,
    ) -> Token:
        token = Token(
            value="sbx_" + secrets.token_urlsafe(32),
            client_id=client_id,
            scopes=frozenset(scopes),
            expires_at=now + timedelta(seconds=self.ttl_seconds),
            certificate=certificate,
        )
        self.tokens[token.value] = token
        return token

    def check(self, value: str, now: datetime) -> Token | None:
        """The live token with this value, or None (unknown, revoked or expired)."""
        token = self.tokens.get(value)
        if token is None:
            return None
        if now >= token.expires_at:
            del self.tokens[value]
            return None
        return token

    def revoke_all(self) -> int:
        count = len(self.tokens)
        self.tokens.clear()
        return count


def parse_basic_credentials(header: str) -> tuple[str, str] | None:
    """Decode ``Basic base64(urlencode(id):urlencode(secret))``; None when malformed."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    raw_id, sep, raw_secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(raw_id), unquote_plus(raw_secret)
