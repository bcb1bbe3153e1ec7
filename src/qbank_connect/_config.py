"""Client defaults: environments, timeouts, the User-Agent and the shared TLS context."""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Sequence

import httpx2

from ._version import __version__

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_TIMEOUT",
    "validate_conflict_wait",
    "ENVIRONMENTS",
    "resolve_base_url",
    "resolve_timeout",
    "shared_ssl_context",
    "user_agent",
]

ENVIRONMENTS = {
    "production": "https://api.qbankconnect.com/v1",
    "sandbox": "https://sandbox.qbankconnect.com/v1",
}

DEFAULT_TIMEOUT = httpx2.Timeout(60.0, connect=10.0)
"""Finite by default: a call never hangs forever on a dead connection."""

DEFAULT_MAX_RETRIES = 2

TOKEN_TIMEOUT = httpx2.Timeout(30.0, connect=10.0)
"""``POST /token`` is small and shared by every waiting call: it gets its own, shorter limit."""

TOKEN_MAX_RETRIES = DEFAULT_MAX_RETRIES
"""The token request is safe to retry; it follows the default whatever a call's own setting."""

DEFAULT_MAX_RETRY_AFTER = 60.0
"""A ``Retry-After`` longer than this raises at once instead of sleeping."""

# Keep-alive for every connection the pool may open. httpcore (1.0.x) closes an idle connection
# whenever the pool holds more than ``max_keepalive_connections`` connections in total (idle or
# not), so with httpx2's default of 20, once more than 20 connections are open, almost every call
# reconnects (bench/, 50 concurrent: in some runs 3,517 new connections for 4,502 calls; each a
# TLS handshake in production). With both limits equal, 50 concurrent calls reuse ~25-50.
DEFAULT_POOL_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=100)


@functools.lru_cache(maxsize=1)
def user_agent() -> str:
    import platform  # only needed here: keeps ~2 ms off `import qbank_connect`

    return (
        f"qbank-connect-python/{__version__} "
        f"Python/{platform.python_version()} httpx2/{httpx2.__version__}"
    )


@functools.lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """One verified TLS context for every client: building one costs tens of milliseconds."""
    return httpx2.create_ssl_context()


def resolve_base_url(base_url: str | httpx2.URL | None, environment: str) -> str:
    if base_url is None:
        base_url = os.environ.get("QBANK_BASE_URL") or None
    if base_url is None:
        try:
            base_url = ENVIRONMENTS[environment]
        except KeyError:
            known = ", ".join(repr(name) for name in ENVIRONMENTS)
            raise ValueError(f"environment must be one of {known}, got {environment!r}") from None
    url = httpx2.URL(str(base_url))
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {str(base_url)!r}")
    return str(url).rstrip("/")


def resolve_timeout(timeout: float | httpx2.Timeout | None) -> httpx2.Timeout:
    if isinstance(timeout, httpx2.Timeout):
        return timeout
    if timeout is None:
        raise ValueError("timeout must be a number of seconds or an httpx2.Timeout, not None")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return httpx2.Timeout(float(timeout), connect=min(10.0, float(timeout)))


def validate_max_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
    return max_retries


def validate_conflict_wait(conflict_wait: object) -> float:
    """Seconds >= 0 (a finite number)."""
    if (
        isinstance(conflict_wait, bool)
        or not isinstance(conflict_wait, (int, float))
        or not 0 <= conflict_wait < float("inf")
    ):
        raise ValueError(f"conflict_wait must be a number of seconds >= 0, got {conflict_wait!r}")
    return float(conflict_wait)


def validate_scopes(scopes: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if scopes is None:
        return None
    if isinstance(scopes, str):
        scopes = scopes.split()
    result = tuple(scopes)
    for scope in result:
        if not isinstance(scope, str) or not scope or any(c.isspace() for c in scope):
            raise ValueError(f"scopes must be non-empty strings without spaces, got {scope!r}")
    return result
