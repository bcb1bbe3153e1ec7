"""Checks on method arguments, so bad input fails before any network call, naming the argument."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar, cast
from urllib.parse import quote

from pydantic import BaseModel

__all__ = [
    "coerce_body",
    "date_param",
    "date_range_params",
    "limit_param",
    "path_id",
    "payment_id_param",
    "query",
    "reference_param",
    "text_param",
]

M = TypeVar("M", bound=BaseModel)

_SAFE_ID = re.compile(r"[A-Za-z0-9._~:@!$&'()*+,;=-]{1,128}")


def path_id(name: str, value: object) -> str:
    """An id that goes into a URL path: checked, then percent-encoded."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    if not _SAFE_ID.fullmatch(value):
        raise ValueError(
            f"{name} must be 1-128 characters of letters, digits and '._~:-' (got {_show(value)})"
        )
    return quote(value, safe="")


def payment_id_param(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"payment_id must be a string, not {type(value).__name__}")
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise ValueError(f"payment_id must be a UUID (got {_show(value)})") from None
    if str(parsed) != value.lower() or len(value) != 36:
        raise ValueError(f"payment_id must be a UUID in 36-character form (got {_show(value)})")
    return value


def text_param(name: str, value: object, *, max_length: int = 128) -> str:
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {type(value).__name__}")
    if not value or len(value) > max_length or not value.isprintable():
        raise ValueError(f"{name} must be 1-{max_length} printable characters (got {_show(value)})")
    return value


def reference_param(value: object) -> str:
    """A payment's business reference (``invoice:INV-1042``): 1-255 printable characters."""
    if not isinstance(value, str):
        raise ValueError(f"reference must be a string, not {type(value).__name__}")
    if not value or len(value) > 255 or not value.isprintable():
        raise ValueError(
            f"reference must be 1-255 printable characters (got {len(value)}: {_show(value)})"
        )
    return value


def limit_param(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise ValueError(f"limit must be a whole number from 1 to 100, got {_show(value)}")
    return value


def date_param(name: str, value: object) -> str:
    """A ``datetime.date`` or an ISO ``YYYY-MM-DD`` string, as the query string wants it."""
    if isinstance(value, datetime):
        raise ValueError(f"{name} must be a date, not a datetime (use .date())")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{name} must be a datetime.date or a 'YYYY-MM-DD' string, got {_show(value)}")


def date_range_params(from_date: object, to_date: object) -> tuple[str | None, str | None]:
    """``from_date`` and ``to_date`` (either may be ``None``), checked in order before sending."""
    start = None if from_date is None else date_param("from_date", from_date)
    end = None if to_date is None else date_param("to_date", to_date)
    if start is not None and end is not None and start > end:  # ISO dates sort as text
        raise ValueError(f"from_date must not be after to_date (got {start} > {end})")
    return start, end


def coerce_body(model: type[M], value: object, name: str = "request") -> M:
    """A request model from a model instance or a plain dict (validated, so errors name the field)."""
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        return model.model_validate(dict(cast("Mapping[str, Any]", value)))
    raise ValueError(f"{name} must be a {model.__name__} or a dict, not {type(value).__name__}")


def query(**params: Any) -> dict[str, Any] | None:
    """The query parameters that are set (unset ones are omitted, never sent as empty)."""
    result = {k: v for k, v in params.items() if v is not None}
    return result or None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
