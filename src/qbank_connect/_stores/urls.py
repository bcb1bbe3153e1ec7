"""Store URLs and optional drivers, the parts without I/O (shared by both client trees).

A store is where the SDK keeps state that outlives a process or is shared between processes:
the token cache, the payment journal, the webhook de-duplication. It is named by a URL:

===============================================  ==============================================
``sqlite:///qbank.db``                           a file relative to the working directory
``sqlite:////var/lib/qbank/qbank.db``            an absolute path (four slashes, as SQLAlchemy)
``postgresql://user:pw@db.internal:5432/qbank``  PostgreSQL via psycopg 3 (``postgres://`` too);
                                                 anything libpq accepts, e.g. ``?sslmode=``
``redis://:pw@cache.internal:6379/0``            Redis via redis-py (``rediss://`` for TLS)
===============================================  ==============================================

:func:`parse_store_url` checks a URL before any I/O and raises
:class:`~qbank_connect.errors.QBankStoreURLError` (a ``ValueError``) naming the argument;
:func:`redact_url` is how a URL appears in every message and repr (password as ``***``).
:func:`require_driver` imports an optional driver or raises
:class:`~qbank_connect.errors.QBankStoreDriverMissingError` naming the extra to install.

Example::

    url = parse_store_url("postgresql://app:s3cret@db/qbank", argument="journal")
    url.kind       # "postgresql"
    repr(url)      # "StoreURL('postgresql://app:***@db/qbank')"
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal, TypeVar
from urllib.parse import parse_qsl, urlsplit

from ..errors import QBankStoreDriverMissingError, QBankStoreURLError

__all__ = [
    "DRIVERS",
    "StoreKind",
    "StoreURL",
    "async_call_blocking",
    "call_blocking",
    "parse_store_url",
    "redact_url",
    "require_driver",
]

StoreKind = Literal["sqlite", "postgresql", "redis"]

_SCHEMES: dict[str, StoreKind] = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "redis": "redis",
    "rediss": "redis",
}

# module -> (the extra that installs it, what the package is)
DRIVERS: dict[str, tuple[str, str]] = {
    "psycopg": ("postgres", "psycopg 3"),
    "redis": ("redis", "redis-py"),
    "redis.asyncio": ("redis", "redis-py"),
    "cryptography": ("token-cache", "cryptography"),
}

_T = TypeVar("_T")


@dataclass(frozen=True, repr=False)
class StoreURL:
    """A checked store URL. ``url`` (with its credentials) is for the driver only; show
    ``redacted``."""

    kind: StoreKind
    url: str = field(compare=True)
    redacted: str = field(compare=False)
    path: str | None = None
    """The absolute file path (SQLite only)."""

    def __repr__(self) -> str:
        return f"StoreURL({self.redacted!r})"

    __str__ = __repr__


_USERINFO_PASSWORD = re.compile(r"(//[^/@:?#]*:)[^/?#]*@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:password|pass|pwd)=)[^&#]*")


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (the userinfo and a ``password=`` query).

    >>> redact_url("redis://:hunter2@cache:6379/0")
    'redis://:***@cache:6379/0'
    """
    url = _USERINFO_PASSWORD.sub(r"\1***@", url)
    return _QUERY_PASSWORD.sub(r"\1***", url)


def parse_store_url(
    value: object,
    *,
    argument: str,
    kinds: Collection[StoreKind] = ("sqlite", "postgresql", "redis"),
) -> StoreURL:
    """Check a store URL before any I/O; ``argument`` names it in the error (e.g. ``"journal"``).

    Example::

        parse_store_url("sqlite:///qbank.db", argument="token_cache").path  # "/srv/app/qbank.db"
    """
    if not isinstance(value, str) or not value.strip():
        raise QBankStoreURLError(f"{argument} must be a non-empty store URL string")
    shown = redact_url(value)
    accepted = sorted(s for s, k in _SCHEMES.items() if k in kinds)
    expected = ", ".join(f"{s}://" for s in accepted)
    scheme, sep, _ = value.partition("://")
    if not sep:
        raise QBankStoreURLError(f"{argument}={shown!r} is not a URL (expected {expected})")
    kind = _SCHEMES.get(scheme.lower())
    if kind is None or kind not in kinds:
        raise QBankStoreURLError(
            f"{argument}={shown!r}: unsupported scheme {scheme!r} (expected {expected})"
        )
    if any(c.isspace() for c in value) or any(ord(c) < 32 for c in value):
        raise QBankStoreURLError(f"{argument}={shown!r} contains whitespace or control characters")
    if kind == "sqlite":
        return StoreURL(kind, value, shown, _sqlite_path(value, shown, argument))
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise QBankStoreURLError(f"{argument}={shown!r} has a malformed host or port") from None
    if kind == "redis":
        if not parts.hostname:
            raise QBankStoreURLError(f"{argument}={shown!r} names no host")
        db = parts.path.lstrip("/")
        if db and not db.isdigit():
            raise QBankStoreURLError(
                f"{argument}={shown!r}: the path must be a database number, e.g. /0"
            )
    elif kind == "postgresql":
        try:
            parse_qsl(parts.query, strict_parsing=bool(parts.query))
        except ValueError:
            raise QBankStoreURLError(f"{argument}={shown!r} has a malformed query") from None
    return StoreURL(kind, value, shown)


def _sqlite_path(value: str, shown: str, argument: str) -> str:
    rest = value.partition("://")[2]
    if not rest.startswith("/") or rest in ("/", "//"):
        raise QBankStoreURLError(
            f"{argument}={shown!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    path = rest[1:]
    if "?" in path or "#" in path:
        raise QBankStoreURLError(f"{argument}={shown!r}: SQLite URLs take no query or fragment")
    if path == ":memory:":
        raise QBankStoreURLError(
            f"{argument}={shown!r}: an in-memory database is not shared between processes"
        )
    if path.endswith("/"):
        raise QBankStoreURLError(f"{argument}={shown!r} names a directory, not a file")
    return os.path.abspath(os.path.expanduser(path))


def require_driver(module: str, *, purpose: str) -> ModuleType:
    """Import the optional driver ``module`` (a key of :data:`DRIVERS`), or raise
    :class:`~qbank_connect.errors.QBankStoreDriverMissingError` naming the extra.

    Example::

        psycopg = require_driver("psycopg", purpose="journal='postgresql://...'")
    """
    import importlib

    extra, package = DRIVERS[module]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise QBankStoreDriverMissingError(
            f"{purpose} needs {package}, which is not installed: "
            f'pip install "qbank-connect[{extra}]"'
        ) from None


async def async_call_blocking(function: Callable[..., _T], *args: object) -> _T:
    """Run a blocking ``function(*args)`` in a worker thread, so the event loop never blocks
    (``call_blocking`` in the sync twin calls it directly)."""
    import anyio.to_thread

    return await anyio.to_thread.run_sync(function, *args)


def call_blocking(function: Callable[..., _T], *args: object) -> _T:
    """Call ``function(*args)``: the blocking client's spelling of ``async_call_blocking``."""
    return function(*args)
