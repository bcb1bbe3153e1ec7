"""The ``QBANK`` settings dict, read and checked once per process.

``settings()`` returns them parsed (:class:`QBankSettings`); ``problems()`` lists what is wrong,
which ``checks.py`` reports as system-check errors (``manage.py check``, ``runserver``,
``migrate``) before anything runs. Secrets are held as :class:`~qbank_connect._secrets.Secret`
and never shown in reprs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from django.conf import settings as django_settings
from django.core.signals import setting_changed

from ..._config import ENVIRONMENTS
from ..._secrets import Secret

__all__ = ["KEYS", "Problem", "QBankSettings", "problems", "settings"]

KEYS = {
    "CLIENT_ID": "OAuth client id (default: QBANK_CLIENT_ID)",
    "CLIENT_SECRET": "OAuth client secret (default: QBANK_CLIENT_SECRET)",
    "ENVIRONMENT": '"production" or "sandbox"',
    "BASE_URL": "the API's URL, instead of ENVIRONMENT",
    "SCOPES": "the scopes to ask for (default: all granted)",
    "WEBHOOK_SECRET": "one secret, or a list while rotating",
    "JOURNAL": '"django", a store URL, or None',
    "JOURNAL_KEY": "the key sealing journal bodies (default: derived from CLIENT_SECRET)",
    "TOKEN_CACHE": "a store URL, or None",
    "DATABASE": 'the database alias for JOURNAL="django" and webhook events (default "default")',
    "TIMEOUT": "seconds (default 60)",
    "MAX_RETRIES": "automatic retries of a failed call (default 2)",
    "WEBHOOK_TOLERANCE": "seconds a delivery's timestamp may be off (default 300)",
    "WEBHOOK_LEASE": "how long a delivery holds its event before another may (default 300 s)",
    "WEBHOOK_TTL": "how long a handled event is remembered (default 72 h)",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with ``QBANK``: ``id`` is the system check's (``qbank_connect.E001``)."""

    id: str
    msg: str
    hint: str | None = None
    error: bool = True


@dataclass(frozen=True)
class QBankSettings:
    """``QBANK``, parsed. ``client_options()`` are the clients' arguments."""

    client_id: str | None = None
    client_secret: Secret | None = field(default=None, repr=False)
    environment: str = "production"
    base_url: str | None = None
    scopes: tuple[str, ...] | None = None
    webhook_secrets: tuple[Secret, ...] = field(default=(), repr=False)
    journal: str | None = None
    journal_key: Secret | None = field(default=None, repr=False)
    token_cache: str | None = None
    database: str = "default"
    timeout: float = 60.0
    max_retries: int = 2
    webhook_tolerance: float = 300.0
    webhook_lease: timedelta = timedelta(minutes=5)
    webhook_ttl: timedelta = timedelta(hours=72)

    @property
    def webhook_secret(self) -> list[str] | None:
        return [s.reveal() for s in self.webhook_secrets] or None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``QBankConnect``/``AsyncQBankConnect`` (without the journal)."""
        options: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": None if self.client_secret is None else self.client_secret.reveal(),
            "environment": self.environment,
            "base_url": self.base_url,
            "scopes": self.scopes,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "webhook_secret": self.webhook_secret,
            "token_cache": self.token_cache,
        }
        if self.journal_key is not None:
            options["journal_key"] = self.journal_key.reveal()
        return options


def _raw() -> dict[str, Any]:
    value: Any = getattr(django_settings, "QBANK", None)
    return dict(cast("dict[str, Any]", value)) if isinstance(value, dict) else {}


def _seconds(value: object) -> float | None:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def _secrets(value: object) -> tuple[Secret, ...] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not value:
        return None
    items = cast("Sequence[object]", value)
    secrets = [s for s in items if isinstance(s, str) and s]
    return tuple(Secret(s) for s in secrets) if len(secrets) == len(items) else None


def problems() -> list[Problem]:
    """What is missing or contradictory in ``settings.QBANK`` (empty when nothing is)."""
    import os

    value = getattr(django_settings, "QBANK", None)
    if value is None:
        return [
            Problem(
                "qbank_connect.E001",
                "settings.QBANK is missing.",
                'Add QBANK = {"CLIENT_ID": ..., "CLIENT_SECRET": ..., ...} to your settings.',
            )
        ]
    if not isinstance(value, dict):
        return [Problem("qbank_connect.E001", "settings.QBANK must be a dict.")]
    raw = cast("dict[str, Any]", value)
    found: list[Problem] = []
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        found.append(
            Problem(
                "qbank_connect.E002",
                f"settings.QBANK has unknown keys: {', '.join(unknown)}.",
                "Known keys: " + ", ".join(KEYS),
            )
        )
    if not (raw.get("CLIENT_ID") or os.environ.get("QBANK_CLIENT_ID")) or not (
        raw.get("CLIENT_SECRET") or os.environ.get("QBANK_CLIENT_SECRET")
    ):
        found.append(
            Problem(
                "qbank_connect.E003",
                "settings.QBANK needs CLIENT_ID and CLIENT_SECRET.",
                "Read them from the environment, e.g. os.environ['QBANK_CLIENT_SECRET'].",
            )
        )
    if raw.get("ENVIRONMENT") is not None and raw.get("BASE_URL") is not None:
        found.append(
            Problem(
                "qbank_connect.E004",
                "settings.QBANK sets both ENVIRONMENT and BASE_URL.",
                "Set one: BASE_URL overrides ENVIRONMENT.",
            )
        )
    environment = raw.get("ENVIRONMENT")
    if environment is not None and environment not in ENVIRONMENTS:
        found.append(
            Problem(
                "qbank_connect.E005",
                f"settings.QBANK['ENVIRONMENT'] must be one of {', '.join(ENVIRONMENTS)}.",
            )
        )
    base_url = raw.get("BASE_URL")
    if base_url is not None and (
        not isinstance(base_url, str) or not base_url.startswith(("https://", "http://"))
    ):
        found.append(
            Problem("qbank_connect.E005", "settings.QBANK['BASE_URL'] must be an http(s) URL.")
        )
    if "WEBHOOK_SECRET" in raw and _secrets(raw["WEBHOOK_SECRET"]) is None:
        found.append(
            Problem(
                "qbank_connect.E006",
                "settings.QBANK['WEBHOOK_SECRET'] must be a non-empty string or a list of them.",
            )
        )
    elif "WEBHOOK_SECRET" not in raw and not os.environ.get("QBANK_WEBHOOK_SECRET"):
        found.append(
            Problem(
                "qbank_connect.W001",
                "settings.QBANK has no WEBHOOK_SECRET: the webhook view answers every delivery "
                "with 500.",
                error=False,
            )
        )
    found += _store_problems(raw)
    for key in ("TIMEOUT", "WEBHOOK_TOLERANCE", "WEBHOOK_LEASE", "WEBHOOK_TTL"):
        if key in raw and _seconds(raw[key]) is None:
            found.append(
                Problem(
                    "qbank_connect.E009",
                    f"settings.QBANK['{key}'] must be positive seconds or a timedelta.",
                )
            )
    retries = raw.get("MAX_RETRIES", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        found.append(
            Problem("qbank_connect.E009", "settings.QBANK['MAX_RETRIES'] must be an int >= 0.")
        )
    return found


def _store_problems(raw: dict[str, Any]) -> list[Problem]:
    from ..._stores.urls import parse_store_url
    from ...errors import QBankStoreURLError

    found: list[Problem] = []
    database = raw.get("DATABASE", "default")
    if database not in django_settings.DATABASES:
        found.append(
            Problem(
                "qbank_connect.E007",
                f"settings.QBANK['DATABASE'] is {database!r}, which is not in DATABASES.",
            )
        )
    for key, kinds in (("JOURNAL", ("sqlite", "postgresql")), ("TOKEN_CACHE", None)):
        value = raw.get(key)
        if value is None or (key == "JOURNAL" and value == "django"):
            continue
        try:
            if not isinstance(value, str):
                raise QBankStoreURLError(f"{key} must be a string")
            if kinds is None:
                parse_store_url(value, argument=key.lower())
            else:
                parse_store_url(value, argument=key.lower(), kinds=kinds)  # type: ignore[arg-type]
        except QBankStoreURLError as e:
            found.append(
                Problem(
                    "qbank_connect.E008",
                    f"settings.QBANK['{key}'] is not a usable store: {e}",
                    'JOURNAL: "django", "sqlite:///...", "postgresql://..." or None.'
                    if key == "JOURNAL"
                    else None,
                )
            )
    if raw.get("TOKEN_CACHE") == "django":
        found.append(
            Problem(
                "qbank_connect.E008",
                'settings.QBANK["TOKEN_CACHE"] = "django" is not supported.',
                'Use a store URL: "sqlite:///...", "postgresql://...", "redis://...".',
            )
        )
    return found


@functools.lru_cache(maxsize=1)
def settings() -> QBankSettings:
    """``QBANK`` parsed, once per process (again after ``override_settings(QBANK=...)``).

    Raises ``django.core.exceptions.ImproperlyConfigured`` naming the first error (the system
    checks report all of them at start-up).
    """
    from django.core.exceptions import ImproperlyConfigured

    errors = [p for p in problems() if p.error]
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} ({errors[0].id})")
    raw = _raw()
    scopes = raw.get("SCOPES")
    return QBankSettings(
        client_id=raw.get("CLIENT_ID"),
        client_secret=None if raw.get("CLIENT_SECRET") is None else Secret(raw["CLIENT_SECRET"]),
        environment=raw.get("ENVIRONMENT") or "production",
        base_url=raw.get("BASE_URL"),
        scopes=tuple(scopes.split() if isinstance(scopes, str) else scopes) if scopes else None,
        webhook_secrets=_secrets(raw.get("WEBHOOK_SECRET")) or (),
        journal=raw.get("JOURNAL"),
        journal_key=None if raw.get("JOURNAL_KEY") is None else Secret(raw["JOURNAL_KEY"]),
        token_cache=raw.get("TOKEN_CACHE"),
        database=raw.get("DATABASE", "default"),
        timeout=_seconds(raw.get("TIMEOUT", 60)) or 60.0,
        max_retries=raw.get("MAX_RETRIES", 2),
        webhook_tolerance=_seconds(raw.get("WEBHOOK_TOLERANCE", 300)) or 300.0,
        webhook_lease=timedelta(seconds=_seconds(raw.get("WEBHOOK_LEASE", 300)) or 300),
        webhook_ttl=timedelta(seconds=_seconds(raw.get("WEBHOOK_TTL", 72 * 3600)) or 72 * 3600),
    )


def _reset(*, setting: str, **kwargs: object) -> None:
    if setting in ("QBANK", "DATABASES"):
        settings.cache_clear()
        from .clients import reset_clients

        reset_clients()


setting_changed.connect(_reset, dispatch_uid="qbank_connect.contrib.django.conf")
