"""Reading what commands are given: JSON request bodies, header files, raw bodies."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from ._errors import BadInput

__all__ = ["read_bytes", "read_headers", "read_json_object"]


def read_bytes(source: str, what: str) -> bytes:
    """The bytes of ``source``: a path, or ``-`` for stdin."""
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise BadInput(f"{what}: cannot read {source!r}: {exc.strerror}") from None


def read_json_object(source: str, what: str = "--json") -> dict[str, Any]:
    """A JSON object from a file or stdin. Numbers with a fraction become ``Decimal``, never
    ``float``: an amount such as ``1000.10`` reaches the SDK exactly as written."""
    raw = read_bytes(source, what)
    name = "stdin" if source == "-" else repr(source)
    try:
        data = json.loads(raw, parse_float=Decimal)
    except UnicodeDecodeError:
        raise BadInput(f"{what}: {name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{what}: {name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise BadInput(f"{what}: {name} must hold a JSON object, not {type(data).__name__}")
    return cast("dict[str, Any]", data)


def read_headers(source: str) -> list[tuple[str, str]]:
    """Captured request headers: a JSON object, or ``Name: value`` lines (as curl -D writes)."""
    raw = read_bytes(source, "--headers")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"--headers: {source!r} is not UTF-8 text") from None
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BadInput(f"--headers: {source!r} is not valid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise BadInput(f"--headers: {source!r} must be a JSON object")
        pairs: list[tuple[str, str]] = []
        for name, value in cast("dict[str, Any]", data).items():
            if not isinstance(value, str):
                raise BadInput(f"--headers: the value of {name!r} must be a string")
            pairs.append((str(name), value))
        return pairs
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith(("HTTP/", "POST ", "GET ", "PUT ")):
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadInput(f"--headers: line {number} is not 'Name: value'")
        pairs.append((name.strip(), value.strip()))
    return pairs
