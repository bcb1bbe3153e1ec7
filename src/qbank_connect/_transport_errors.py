"""The message of a request that got no answer: what was asked, of which host, and why.

"POST /v1/payments/ach: could not connect to api.qbank.example: Name or service not known"
says which host a machine without network (or with a typo in ``base_url``) could not reach.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import QBankConnectionError, QBankTLSError

__all__ = ["no_answer_error", "no_answer_message", "timeout_message"]

_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


def _host(request: Any) -> str:
    url = request.url
    port = url.port
    return f"{url.host}:{port}" if port is not None else str(url.host)


def no_answer_message(request: Any, exc: BaseException) -> str:
    """For a transport error (DNS, connect, TLS, a dropped connection) of ``request``."""
    reason = _ERRNO.sub("", str(exc).strip()) or type(exc).__name__
    where = f"{request.method} {request.url.path}"
    if "Connect" in type(exc).__name__:
        return f"{where}: could not connect to {_host(request)}: {reason}"
    return f"{where} to {_host(request)} failed: {type(exc).__name__}: {reason}"


def no_answer_error(
    request: Any, exc: BaseException, *, key: str | None, retries: int
) -> QBankConnectionError:
    """The named error of a request that got no answer: :class:`QBankTLSError` (with its
    ``reason``) for a failed TLS handshake, else :class:`QBankConnectionError` naming the host."""
    from ._tls import tls_failure

    tls = tls_failure(exc)
    if tls is not None:
        return QBankTLSError(
            f"{request.method} {request.url.path} failed: {tls[1]}",
            reason=tls[0],
            request=request,
            idempotency_key=key,
            retries_taken=retries,
        )
    return QBankConnectionError(
        no_answer_message(request, exc),
        request=request,
        idempotency_key=key,
        retries_taken=retries,
    )


def timeout_message(request: Any, exc: BaseException) -> str:
    return (
        f"{request.method} {request.url.path} to {_host(request)} timed out ({type(exc).__name__})"
    )
