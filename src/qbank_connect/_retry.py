"""Retry decisions and backoff arithmetic, shared by both clients (no I/O here)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

__all__ = [
    "RETRYABLE_STATUS_CODES",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
    "retry_delay_after",
]

RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})

INITIAL_DELAY = 0.5
MAX_DELAY = 8.0


def backoff_delay(
    retries_taken: int,
    *,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait before retry number ``retries_taken + 1``: exponential, capped, jittered.

    >>> backoff_delay(0, uniform=lambda a, b: b)
    0.5
    >>> backoff_delay(10, uniform=lambda a, b: b)
    8.0
    """
    base = min(INITIAL_DELAY * 2.0 ** min(retries_taken, 32), MAX_DELAY)
    return base * uniform(0.75, 1.0)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or ``None``.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("soon") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_delay(
    retries_taken: int,
    headers: Mapping[str, str] | None,
    *,
    max_retry_after: float,
    uniform: Callable[[float, float], float] = random.uniform,
) -> float | None:
    """How long to wait before retrying a retryable answer, or ``None`` to give up now.

    A ``Retry-After`` the server sends is honoured, unless it asks for more than
    ``max_retry_after`` seconds: then the error is raised at once rather than sleeping for minutes.
    """
    server_wait = parse_retry_after(headers.get("retry-after")) if headers is not None else None
    if server_wait is not None:
        return server_wait if server_wait <= max_retry_after else None
    return backoff_delay(retries_taken, uniform=uniform)


def retry_delay_after(
    status_code: int | None,
    headers: Mapping[str, str] | None,
    retries_taken: int,
    *,
    max_retries: int,
    max_retry_after: float,
) -> float | None:
    """The wait before retrying an attempt that got ``status_code`` (``None``: no answer, which is
    always retryable), or ``None`` when it must not be retried (budget spent, or not retryable)."""
    if retries_taken >= max_retries:
        return None
    if status_code is not None and status_code not in RETRYABLE_STATUS_CODES:
        return None
    return retry_delay(retries_taken, headers, max_retry_after=max_retry_after)
