"""Client certificates (mutual TLS, RFC 8705) and TLS failures, the parts without network I/O.

:class:`TLSSettings` turns ``client_cert=`` / ``ssl_context=`` into the ``ssl.SSLContext`` the
client's own connections use, re-reading the files on :meth:`TLSSettings.load` (rotation).
:func:`tls_failure` names a failed handshake. Neither ever puts key material or a password in
a message: OpenSSL's errors name a reason, and files are named by their path.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Union, cast

import httpx2

from .errors import QBankCertificateError

__all__ = ["ClientCert", "TLSSettings", "tls_failure"]

StrPath = Union[str, "os.PathLike[str]"]
ClientCert = Union[
    StrPath,
    tuple[StrPath, StrPath],
    tuple[StrPath, StrPath, Union[str, bytes, None]],
]
"""What ``client_cert=`` accepts: one PEM file with certificate and key, ``(cert, key)``, or
``(cert, key, password)``."""


class TLSSettings:
    """The client's TLS context: built from ``client_cert`` files, or a context given as is.

    Example::

        settings = TLSSettings(("client.crt", "client.key"), None)
        context = settings.load()      # reads the files again: a rotated certificate
    """

    __slots__ = ("_cert", "_context", "_password")

    def __init__(self, client_cert: ClientCert | None, ssl_context: ssl.SSLContext | None) -> None:
        if client_cert is not None and ssl_context is not None:
            raise ValueError(
                "give client_cert= or ssl_context=, not both: load the certificate into your "
                "context with ssl_context.load_cert_chain(...)"
            )
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ValueError(f"ssl_context must be an ssl.SSLContext, not {type(ssl_context)}")
        self._context = ssl_context
        self._cert: tuple[Path, Path | None] | None = None
        self._password: Callable[[], bytes] = _no_password
        if client_cert is not None:
            self._cert, password = _parse_client_cert(client_cert)
            if password is not None:
                encoded = password.encode() if isinstance(password, str) else password
                self._password = lambda: encoded  # never printed: a closure has no useful repr

    @property
    def has_certificate(self) -> bool:
        """True when a client certificate is given (``client_cert=``), or may be
        (``ssl_context=``: whatever the context holds)."""
        return self._cert is not None or self._context is not None

    def load(self, ssl_context: ssl.SSLContext | None = None) -> ssl.SSLContext:
        """The context for new connections: ``ssl_context`` (which then replaces the one given
        before), the given context, or a new one with the certificate files read now."""
        if ssl_context is not None:
            if not isinstance(ssl_context, ssl.SSLContext):
                raise ValueError(f"ssl_context must be an ssl.SSLContext, not {type(ssl_context)}")
            if self._cert is not None:
                raise ValueError(
                    "this client reads client_cert= files: reload them, or give "
                    "ssl_context= to a client created with one"
                )
            self._context = ssl_context
        if self._context is not None:
            return self._context
        assert self._cert is not None
        cert, key = self._cert
        context = httpx2.create_ssl_context()  # a new one: the shared context is never changed
        _check_dates(cert)
        try:
            context.load_cert_chain(cert, key, password=self._password)
        except FileNotFoundError as exc:
            raise QBankCertificateError(
                f"client_cert: no such file: {exc.filename}", reason="unreadable"
            ) from None
        except ssl.SSLError as exc:
            raise _load_error(exc, cert, key) from None
        return context

    def __repr__(self) -> str:
        if self._cert is not None:
            return f"TLSSettings(client_cert={str(self._cert[0])!r})"
        return "TLSSettings(ssl_context=...)"


def _no_password() -> bytes:
    # Given instead of None: for an encrypted key, OpenSSL would otherwise prompt on the terminal.
    return b""


def _path(value: object) -> Path | None:
    if isinstance(value, (str, os.PathLike)):
        return Path(cast("str | os.PathLike[str]", value))
    return None


def _parse_client_cert(value: object) -> tuple[tuple[Path, Path | None], str | bytes | None]:
    kind = type(value).__name__
    single = _path(value)
    if single is not None:
        return (single, None), None
    if isinstance(value, tuple):
        items = cast("tuple[object, ...]", value)
        if len(items) in (2, 3):
            cert, key = _path(items[0]), _path(items[1])
            password = items[2] if len(items) == 3 else None
            if (
                cert is not None
                and key is not None
                and isinstance(password, (str, bytes, type(None)))
            ):
                return (cert, key), password
    raise ValueError(
        "client_cert must be a PEM file path, a (cert_path, key_path) pair or "
        f"(cert_path, key_path, password), not {kind}"
    )


def _load_error(exc: ssl.SSLError, cert: Path, key: Path | None) -> QBankCertificateError:
    text = f"{exc.reason or ''} {exc}".upper()
    files = str(cert) if key is None else f"{cert} and {key}"
    if "KEY_VALUES_MISMATCH" in text:
        return QBankCertificateError(
            f"client_cert: the private key does not match the certificate ({files})",
            reason="key_mismatch",
        )
    if "BAD_DECRYPT" in text or "BAD_PASSWORD" in text or _encrypted(key or cert):
        return QBankCertificateError(
            f"client_cert: the private key is encrypted and the password is missing or wrong "
            f"({key or cert}; give it as the third item: (cert_path, key_path, password))",
            reason="bad_password",
        )
    return QBankCertificateError(
        f"client_cert: {files} could not be read as a PEM certificate and private key "
        f"({exc.reason or type(exc).__name__})",
        reason="unreadable",
    )


def _encrypted(key: Path) -> bool:
    """True for an encrypted PEM key (PKCS#8 or OpenSSL's legacy ``Proc-Type``): OpenSSL 3
    reports a wrong password only as "PEM lib"."""
    try:
        text = key.read_bytes()
    except OSError:
        return False
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in text or b"Proc-Type: 4,ENCRYPTED" in text


def _check_dates(cert: Path) -> None:
    """Refuse an expired (or not yet valid) certificate now, not at the first handshake.

    Needs ``cryptography`` (installed with the ``[jwt]`` and ``[token-cache]`` extras); without
    it, QBank refuses an expired certificate at the handshake (``QBankTLSError``)."""
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - the check is a convenience
        return
    import datetime

    try:
        data = cert.read_bytes()
    except OSError:
        return  # load_cert_chain names the problem
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        return
    now = datetime.datetime.now(datetime.timezone.utc)
    if certificate.not_valid_after_utc < now:
        raise QBankCertificateError(
            f"client_cert: the certificate {cert} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC",
            reason="expired",
        )
    if certificate.not_valid_before_utc > now:
        raise QBankCertificateError(
            f"client_cert: the certificate {cert} is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC",
            reason="expired",
        )


# OpenSSL's reason for a TLS alert the server sent, or for the client's own verification.
_REFUSED = (
    "ALERT_BAD_CERTIFICATE",
    "ALERT_UNKNOWN_CA",
    "ALERT_CERTIFICATE_UNKNOWN",
    "ALERT_UNSUPPORTED_CERTIFICATE",
    "ALERT_CERTIFICATE_REVOKED",
    "ALERT_ACCESS_DENIED",
    "ALERT_DECRYPT_ERROR",
)


def tls_failure(exc: BaseException) -> tuple[str, str] | None:
    """``(reason, message)`` when ``exc`` (or what caused it) is a failed TLS handshake."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # aiohttp re-raises a failed handshake as an OSError carrying the SSL error's text.
        if isinstance(current, ssl.SSLError) or (
            isinstance(current, OSError) and "[SSL: " in str(current)
        ):
            reason = getattr(current, "reason", None) or ""
            found = _classify(f"{reason} {current}".upper(), current)
            if found is not None:
                return found
        current = current.__cause__ or current.__context__
    return None


def _classify(text: str, exc: OSError) -> tuple[str, str] | None:
    if "CERTIFICATE_VERIFY_FAILED" in text:
        detail = getattr(exc, "verify_message", None) or "verification failed"
        return (
            "server_untrusted",
            f"QBank's server certificate is not trusted ({detail}): if a corporate proxy or CA "
            "sits in between, give its CA with ssl_context= or SSL_CERT_FILE",
        )
    if "ALERT_CERTIFICATE_EXPIRED" in text:
        return (
            "certificate_expired",
            "the server refused the client certificate: it has expired (renew it, then "
            "reload_client_cert())",
        )
    if "ALERT_CERTIFICATE_REQUIRED" in text or "ALERT_HANDSHAKE_FAILURE" in text:
        return (
            "certificate_required",
            "the server requires a client certificate (mutual TLS): give client_cert= or "
            "ssl_context= with one",
        )
    for alert in _REFUSED:
        if alert in text:
            return (
                "certificate_refused",
                f"the server refused the client certificate ({alert.lower()}): it is not the "
                "one registered for this client, or its CA is not trusted by QBank",
            )
    return None
