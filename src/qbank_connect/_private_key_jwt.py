"""``private_key_jwt`` (RFC 7523 section 2.2): the client assertion for ``POST /token``.

Signed with PyJWT (the ``[jwt]`` extra), which takes ``cryptography`` key objects as they are
and checks the algorithm against the key type. The key is loaded once, held only here, and never
printed: this object's repr names the algorithm and ``kid``, and it refuses to be pickled.

Example::

    signer = PrivateKeyJWT(pem, client_id="cid", audience="https://api.qbankconnect.com/v1/token")
    form["client_assertion"] = signer.assertion()
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from .errors import QBankCertificateError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = [
    "ASSERTION_LIFETIME",
    "ASSERTION_TYPE",
    "PrivateKey",
    "PrivateKeyJWT",
    "require_jwt",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ASSERTION_LIFETIME = 120
"""Seconds from ``iat`` to ``exp``: the contract allows at most 300; a short life makes a leaked
assertion nearly useless, and each token request signs a fresh one."""

PrivateKey = Union[str, bytes, "os.PathLike[str]", "RSAPrivateKey", "EllipticCurvePrivateKey"]
"""What ``private_key=`` accepts: PEM text or bytes, a path to a PEM file, or a key object from
``cryptography``."""

_ALGORITHMS = ("RS256", "PS256", "ES256")


def require_jwt() -> Any:
    """The ``jwt`` module (PyJWT), or an ImportError naming the extra to install."""
    try:
        import jwt
        from jwt.algorithms import has_crypto  # RS256, PS256 and ES256 need cryptography
    except ImportError:
        raise _missing_extra() from None
    if not has_crypto:
        raise _missing_extra()
    return jwt


def _missing_extra() -> ImportError:
    return ImportError(
        "private_key_jwt (RFC 7523) needs PyJWT with cryptography: pip install 'qbank-connect[jwt]'"
    )


class PrivateKeyJWT:
    """Signs client assertions: ``iss`` = ``sub`` = the client id, ``aud`` = the token URL,
    ``iat``, ``exp`` (:data:`ASSERTION_LIFETIME` later) and a new ``jti`` (UUID v4) each time."""

    __slots__ = ("_jwt", "_key", "algorithm", "audience", "client_id", "key_id")

    def __init__(
        self,
        private_key: PrivateKey,
        *,
        client_id: str,
        audience: str,
        key_id: str | None = None,
        algorithm: str | None = None,
    ) -> None:
        self._jwt = require_jwt()
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        key = _load_key(private_key)
        allowed: tuple[str, ...]
        if isinstance(key, rsa.RSAPrivateKey):
            if key.key_size < 2048:
                raise ValueError(
                    f"private_key: an RSA key needs 2048 bits or more, not {key.key_size}"
                )
            default, allowed = "RS256", ("RS256", "PS256")
        elif isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            default, allowed = "ES256", ("ES256",)
        else:
            raise ValueError(
                "private_key must be an RSA key (RS256, PS256) or an EC P-256 key (ES256), "
                f"not {type(key).__name__}"
                + (f" on {key.curve.name}" if isinstance(key, ec.EllipticCurvePrivateKey) else "")
            )
        if algorithm is not None and algorithm not in allowed:
            raise ValueError(
                f"private_key_alg={algorithm!r} does not fit this key: use one of "
                f"{', '.join(allowed)} (QBank takes {', '.join(_ALGORITHMS)})"
            )
        if key_id is not None and (not isinstance(key_id, str) or not key_id):
            raise ValueError("private_key_id must be a non-empty string (the JWT kid)")
        self._key = key
        self.algorithm = algorithm or default
        self.key_id = key_id
        self.client_id = client_id
        self.audience = audience

    def assertion(self, now: float | None = None) -> str:
        """A new signed assertion (a compact JWS)."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key_id} if self.key_id is not None else None
        token: str = self._jwt.encode(claims, self._key, algorithm=self.algorithm, headers=headers)
        return token

    def __repr__(self) -> str:
        return f"PrivateKeyJWT(algorithm={self.algorithm!r}, key_id={self.key_id!r}, key='***')"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a private key cannot be pickled")


def _load_key(value: object) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(value, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return value
    if isinstance(value, bytes):
        data, origin = value, "the PEM given"
    elif isinstance(value, str) and "-----BEGIN" in value:
        data, origin = value.encode(), "the PEM given"
    elif isinstance(value, (str, os.PathLike)):
        path = Path(value)  # pyright: ignore[reportUnknownArgumentType]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise QBankCertificateError(
                f"private_key: cannot read {path} ({exc.strerror or type(exc).__name__})",
                reason="unreadable",
            ) from None
        origin = str(path)
    else:
        raise ValueError(
            "private_key must be PEM text or bytes, a path to a PEM file, or a key object from "
            f"cryptography, not {type(value).__name__}"
        )
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:  # encrypted: decrypt it yourself and pass the key object
        raise QBankCertificateError(
            f"private_key: {origin} is encrypted: load it with cryptography's "
            "load_pem_private_key(data, password) and pass the key object",
            reason="bad_password",
        ) from None
    except Exception:  # ValueError, UnsupportedAlgorithm: not a key we can read
        raise QBankCertificateError(
            f"private_key: {origin} is not a PEM private key", reason="unreadable"
        ) from None
