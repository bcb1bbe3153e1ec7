"""Opaque keyset cursors: a page continues strictly after the last item's sort key, so items
added meanwhile never shift or repeat pages, and a cursor only works with the same filters."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

__all__ = ["CursorError", "paginate"]

T = TypeVar("T")


class CursorError(ValueError):
    """The cursor is malformed or was issued for other filters."""


def _encode(key: list[Any], filters: Mapping[str, str]) -> str:
    raw = json.dumps({"k": key, "f": dict(sorted(filters.items()))}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, filters: Mapping[str, str]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload: Any = json.loads(raw)
    except (binascii.Error, ValueError):
        raise CursorError("is not a cursor this API issued")
    if not isinstance(payload, dict):
        raise CursorError("is not a cursor this API issued")
    fields = cast(dict[str, Any], payload)
    key: Any = fields.get("k")
    if not isinstance(key, list):
        raise CursorError("is not a cursor this API issued")
    if fields.get("f") != dict(sorted(filters.items())):
        raise CursorError("was issued for other filters; repeat the same filters with it")
    return list(cast(Sequence[Any], key))


def paginate(
    items: Sequence[T],
    key: Callable[[T], list[Any]],
    *,
    limit: int,
    cursor: str | None,
    filters: Mapping[str, str],
    descending: bool,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (already filtered) and the next cursor (None on the last page)."""
    ordered = sorted(items, key=key, reverse=descending)
    if cursor is not None:
        after = _decode(cursor, filters)
        try:
            if descending:
                ordered = [item for item in ordered if key(item) < after]
            else:
                ordered = [item for item in ordered if key(item) > after]
        except TypeError:
            raise CursorError("is not a cursor this API issued")
    page = ordered[:limit]
    next_cursor = _encode(key(page[-1]), filters) if len(ordered) > limit else None
    return page, next_cursor
