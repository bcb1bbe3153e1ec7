"""Per-call extras (``extra_headers=``, ``extra_query=``, ``extra_body=``) and the JSON of
``client.request()``: checked before any network call, merged into the call's options.

Extras add to what the SDK sends; they never replace it. A key the SDK sets itself (a field of
the request model, a query parameter of the method, the ``Authorization``, ``Idempotency-Key``
and ``Content-Type`` headers) is refused with a ``ValueError`` naming the argument to use, so
the SDK's validation of its own fields always applies.
"""

from __future__ import annotations

import datetime
import enum
import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ._operations import Operation
    from ._options import RequestOptions

__all__ = ["check_headers", "check_query", "json_bytes", "with_extras"]

_RESERVED_HEADERS = {
    "authorization": "the client's credentials (client_id=/client_secret=, or token=)",
    "idempotency-key": "idempotency_key=",
    "content-type": "the body argument (request=, or json= of client.request())",
    "content-length": "the body argument (the HTTP layer computes it)",
    "transfer-encoding": "the body argument (the HTTP layer sets it)",
    "host": "base_url=",
}


def check_headers(headers: object, name: str = "extra_headers") -> dict[str, str]:
    """``extra_headers=``: string names and values, none of the headers the SDK sets."""
    if not isinstance(headers, Mapping):
        raise ValueError(f"{name} must be a dict of header names to values")
    checked: dict[str, str] = {}
    for key, value in cast("Mapping[object, object]", headers).items():
        if not isinstance(key, str) or not key or not key.isascii():
            raise ValueError(f"{name}: header names must be non-empty ASCII strings ({key!r})")
        reserved = _RESERVED_HEADERS.get(key.lower())
        if reserved is not None:
            raise ValueError(f"{name} cannot set {key}: use {reserved}")
        if not isinstance(value, str):
            raise ValueError(f"{name}[{key!r}] must be a string, not {type(value).__name__}")
        if "\r" in value or "\n" in value or "\0" in value:
            raise ValueError(f"{name}[{key!r}] must not contain line breaks")
        checked[key] = value
    return checked


def check_query(
    query: object, name: str = "extra_query", *, own: Sequence[str] = (), operation: str = ""
) -> dict[str, Any]:
    """``extra_query=`` (or ``params=``): strings, whole numbers, Decimals, dates, or lists of
    them; never one of the method's own parameters (``own``), never a float."""
    if not isinstance(query, Mapping):
        raise ValueError(f"{name} must be a dict of parameter names to values")
    checked: dict[str, Any] = {}
    for key, value in cast("Mapping[object, object]", query).items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"{name}: parameter names must be non-empty strings ({key!r})")
        if key in own:
            raise ValueError(
                f"{name} cannot set {key!r}: it is a parameter of {operation}, use {key}= "
                "(where it is checked)"
            )
        if isinstance(value, (list, tuple)):
            items = cast("Sequence[object]", value)
            checked[key] = [_query_value(f"{name}[{key!r}]", item) for item in items]
        else:
            checked[key] = _query_value(f"{name}[{key!r}]", value)
    return checked


def _query_value(where: str, value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        raise ValueError(f"{where} is a float: pass money and numbers as str or Decimal")
    raise ValueError(f"{where} must be a string or a number, not {type(value).__name__}")


def _json_default(value: object) -> object:
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _no_floats(value: object, where: str) -> None:
    if isinstance(value, float):
        raise ValueError(f"{where} is a float: pass money as str or Decimal (never a float)")
    if isinstance(value, Mapping):
        for key, item in cast("Mapping[object, object]", value).items():
            _no_floats(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(cast("Sequence[object]", value)):
            _no_floats(item, f"{where}[{index}]")


def json_bytes(value: object, name: str = "json") -> bytes:
    """A JSON body: Decimals, dates and UUIDs as strings; a float anywhere is refused."""
    _no_floats(value, name)
    try:
        return json.dumps(
            value, default=_json_default, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be sent as JSON: {exc}") from None


def _model_fields(model: type[Any]) -> set[str]:
    names: set[str] = set()
    for field_name, field in model.model_fields.items():
        names.add(field_name)
        if field.alias:
            names.add(field.alias)
    return names


def with_extras(
    options: RequestOptions,
    operation: Operation,
    extra_headers: object,
    extra_query: object,
    extra_body: object,
) -> RequestOptions:
    """``options`` with the call's extras checked and merged in (only called when one is given)."""
    changes: dict[str, Any] = {}
    op_id = operation.operation_id
    if extra_headers is not None:
        changes["extra_headers"] = check_headers(extra_headers) or None
    if extra_query is not None:
        added = check_query(extra_query, own=operation.query, operation=op_id)
        if added:
            changes["params"] = {**(options.params or {}), **added}
    if extra_body is not None:
        if not isinstance(extra_body, Mapping):
            raise ValueError("extra_body must be a dict of field names to values")
        if extra_body:
            changes.update(
                _merged_body(options, operation, cast("Mapping[object, object]", extra_body))
            )
    return options._replace(**changes) if changes else options


def _merged_body(
    options: RequestOptions, operation: Operation, extra_body: Mapping[object, object]
) -> dict[str, Any]:
    op_id = operation.operation_id
    for key in extra_body:
        if not isinstance(key, str) or not key:
            raise ValueError(f"extra_body: field names must be non-empty strings ({key!r})")
    if options.upload is not None:
        own = {"file", *(options.upload_fields or {}), *operation.query, "source_account_id"}
        fields = dict(options.upload_fields or {})
        for key, value in extra_body.items():
            if key in own:
                raise ValueError(f"extra_body cannot set {key!r}: it is a field of {op_id}")
            if not isinstance(value, str):
                raise ValueError(f"extra_body[{key!r}] must be a string: {op_id} sends form fields")
            fields[str(key)] = value
        return {"upload_fields": fields}
    if operation.body is None or options.json_body is None:
        raise ValueError(
            f"extra_body: {op_id} ({operation.method}) has no body; use extra_query= instead"
        )
    own = _model_fields(operation.body)
    for key in extra_body:
        if key in own:
            raise ValueError(
                f"extra_body cannot set {key!r}: it is a field of {operation.body.__name__}, "
                "set it in request= (where it is validated)"
            )
    added = json_bytes(dict(extra_body), "extra_body")
    body = options.json_body
    # Both are compact JSON objects with no key in common: splice, keeping the body's bytes.
    merged = added if body.strip() == b"{}" else body.rstrip()[:-1] + b"," + added[1:]
    return {"json_body": merged}
