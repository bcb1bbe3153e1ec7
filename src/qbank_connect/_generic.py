"""``client.request()``: any path under the base URL, through the whole pipeline (no I/O here).

The path is checked to stay under the base URL; the operation table says whether it is
transactional and what its operationId is; the answer is parsed into ``cast_to`` or decoded as
JSON with ``Decimal`` for every number with a fraction (money is never a float).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx2
import pydantic

from . import errors
from ._extras import check_headers, check_query, json_bytes
from ._idempotency import validate_idempotency_key
from ._operations import route
from ._options import RequestOptions
from ._validation import reference_param

__all__ = ["api_path", "check_cast_to", "generic_options", "json_answer"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\\?#]")


def api_path(path: object) -> str:
    """``path`` if it names a resource under the base URL, else ``ValueError``.

    Refused: absolute URLs (``https://...``), network paths (``//host/...``), dot segments
    (``..``, ``.``, encoded or not), empty segments, backslashes, whitespace and control
    characters, a query string or fragment (pass ``params=``)."""
    if not isinstance(path, str):
        raise ValueError(f"path must be a string, not {type(path).__name__}")
    if not path.startswith("/") or path.startswith("//") or "://" in path:
        raise ValueError(
            f"path must be relative to the base URL and start with one '/' (got {path[:80]!r}); "
            "absolute URLs and //host paths are refused"
        )
    match = _BAD_CHARS.search(path)
    if match is not None:
        found = match.group()
        hint = " (pass the query as params=)" if found in "?#" else ""
        raise ValueError(f"path must not contain {found!r}{hint}")
    for segment in path[1:].split("/"):
        decoded = unquote(segment)
        if decoded in ("", ".", "..") or "/" in decoded or "\\" in decoded:
            raise ValueError(
                f"path must stay under the base URL: segment {segment!r} is refused "
                "(empty, dot or encoded-slash segments)"
            )
    return path


def generic_options(
    method: object,
    path: object,
    *,
    params: object,
    json_body: object,
    idempotency_key: object,
    reference: object,
    extra_headers: object,
    timeout: httpx2.Timeout,
    max_retries: int,
) -> RequestOptions:
    """The :class:`RequestOptions` of a ``client.request()`` call, every argument checked.

    A ``POST`` carries an ``Idempotency-Key``: the operation's own when the table knows the path,
    and also for a path it does not know (the SDK cannot tell it moves no money, and the key
    makes its retries safe)."""
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)} (got {method!r})")
    method = method.upper()
    path = api_path(path)
    operation = route(method, path)
    if operation is not None and operation.scope is None:
        raise ValueError(f"{method} {path} is the SDK's own (use client.authenticate())")
    transactional = method == "POST"
    if idempotency_key is not None and reference is not None:
        raise ValueError(
            "pass idempotency_key or reference, not both: a reference determines the key"
        )
    if (idempotency_key is not None or reference is not None) and not transactional:
        name = "idempotency_key" if idempotency_key is not None else "reference"
        raise ValueError(f"{name}= is for POST calls; a {method} carries no Idempotency-Key")
    if reference is not None and (operation is None or not operation.transactional):
        raise ValueError(
            f"reference= needs one of the SDK's transactional operations; {method} {path} is not "
            "one (pass idempotency_key= instead)"
        )
    body = None
    if json_body is not None:
        if method in ("GET", "HEAD", "DELETE", "OPTIONS"):
            raise ValueError(f"json= is for calls with a body; a {method} has none")
        body = json_bytes(json_body)
    return RequestOptions(
        method,
        path,
        "" if operation is None else operation.operation_id,
        "" if operation is None else operation.path,
        params=None if params is None else (check_query(params, "params") or None),
        json_body=body,
        transactional=transactional,
        idempotency_key=(
            None if idempotency_key is None else validate_idempotency_key(idempotency_key)
        ),
        reference=None if reference is None else reference_param(reference),
        timeout=timeout,
        max_retries=max_retries,
        extra_headers=None if extra_headers is None else (check_headers(extra_headers) or None),
    )


def check_cast_to(cast_to: object) -> None:
    """``cast_to`` must be a pydantic model class (or ``None``: decoded JSON)."""
    if cast_to is not None and not (
        isinstance(cast_to, type) and issubclass(cast_to, pydantic.BaseModel)
    ):
        raise ValueError(f"cast_to must be a model class (a pydantic BaseModel), not {cast_to!r}")


def json_answer(response: httpx2.Response, idempotency_key: str | None) -> Any:
    """The decoded JSON of a 2xx answer (``None`` for an empty body). Numbers with a fraction
    or an exponent are ``Decimal`` (money is never a float); whole numbers are ``int``."""
    content = response.content
    if not content.strip():
        return None
    try:
        return json.loads(content, parse_float=Decimal, parse_constant=_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.QBankResponseValidationError(
            f"the response is not JSON ({type(exc).__name__})",
            response=response,
            idempotency_key=idempotency_key,
        ) from None


def _constant(name: str) -> Decimal:
    return Decimal(name)  # NaN, Infinity: never float('nan')
