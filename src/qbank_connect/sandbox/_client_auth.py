"""Client authentication without a secret: ``private_key_jwt`` (RFC 7523 section 2.2) and
``tls_client_auth`` (RFC 8705 section 2.1), and certificate thumbprints for bound tokens.

Assertions are verified with PyJWT (the ``[jwt]`` extra), needed only when a client registers a
public key: the signature against the registered key (RS256, PS256 or ES256), ``iss`` = ``sub``
= the client id, ``aud`` = the token endpoint's URL, ``exp`` at most 5 minutes ahead, ``iat``,
and a ``jti`` never seen before its ``exp``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import ssl
import threading
import time
from typing import Any

from ._auth import SandboxClient

__all__ = ["AssertionVerifier", "certificate_thumbprint", "registered_thumbprints"]

_ALGORITHMS = ["RS256", "PS256", "ES256"]
_MAX_LIFETIME = 300  # seconds: the contract's "exp at most 5 minutes ahead"
_LEEWAY = 5  # seconds of clock skew allowed on exp and iat


def certificate_thumbprint(der: bytes | None) -> str | None:
    """``x5t#S256`` of RFC 8705 section 3.1: base64url SHA-256 of the DER certificate."""
    if der is None:
        return None
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def registered_thumbprints(client: SandboxClient) -> frozenset[str]:
    """The thumbprints of the certificates registered for ``client``: its ``certificate`` PEM
    may hold several (the current one and its successor, during a rotation)."""
    if client.certificate is None:
        return frozenset()
    text = client.certificate
    pem = text.decode() if isinstance(text, bytes) else text
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    return frozenset(
        base64.urlsafe_b64encode(hashlib.sha256(ssl.PEM_cert_to_DER_cert(block)).digest())
        .rstrip(b"=")
        .decode()
        for block in blocks
    )


class AssertionVerifier:
    """Checks client assertions, remembering each ``jti`` until its ``exp``."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def require() -> None:
        """Fail now, naming the extra, when PyJWT is missing."""
        from .._private_key_jwt import require_jwt

        require_jwt()

    def verify(self, client: SandboxClient, assertion: str, audiences: list[str]) -> str | None:
        """``None`` when the assertion authenticates ``client``, else why not (for the
        ``error_description``; the contract answers every failure with 401 invalid_client)."""
        if client.public_key is None:
            return "This client has no registered public key."
        from .._private_key_jwt import require_jwt

        jwt: Any = require_jwt()
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.InvalidTokenError:
            return "The client assertion is not a JWS."
        kid = header.get("kid")
        if client.key_id is not None and kid is not None and kid != client.key_id:
            return "The client assertion names another key (kid)."
        try:
            claims = jwt.decode(
                assertion,
                client.public_key,
                algorithms=_ALGORITHMS,
                audience=audiences,
                issuer=client.client_id,
                leeway=_LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidTokenError as exc:
            return f"The client assertion is invalid: {type(exc).__name__}."
        now = time.time()
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if claims["sub"] != client.client_id:
            return "The client assertion's sub is not the client id."
        if not isinstance(jti, str) or not jti:
            return "The client assertion's jti is missing."
        if exp > now + _MAX_LIFETIME + _LEEWAY or exp - iat > _MAX_LIFETIME:
            return "The client assertion's exp is more than 5 minutes ahead."
        with self._lock:
            for key, until in list(self._seen.items()):
                if until < now - _LEEWAY:
                    del self._seen[key]
            if (client.client_id, jti) in self._seen:
                return "The client assertion's jti was already used."
            self._seen[(client.client_id, jti)] = float(exp)
        return None
