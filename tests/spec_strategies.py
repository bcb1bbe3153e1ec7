"""Hypothesis strategies for the JSON Schema subset that spec/openapi.yaml uses."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from hypothesis import strategies as st

_DATETIMES = st.datetimes(timezones=st.just(timezone.utc)).map(
    lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z")
)
_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date": st.dates().map(lambda d: d.isoformat()),
    "date-time": _DATETIMES,
    "uuid": st.uuids().map(str),
    "uri": st.sampled_from(["https://docs.qbankconnect.com/problems/x", "urn:qbank:problem"]),
}
_EXTRA_VALUES = st.none() | st.booleans() | st.integers() | st.text(max_size=10)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (with its $refs already inlined)."""
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return from_schema(merged)
    if "oneOf" in schema:
        return st.one_of([from_schema(s) for s in schema["oneOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if kind == "object":
        return _object(schema)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"].replace("^", r"\A").replace("$", r"\Z"))
    if "format" in schema and schema["format"] in _FORMATS:
        return _FORMATS[schema["format"]]
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 30))


@st.composite
def _object(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    result = {}
    for name, sub in properties.items():
        if name in required or draw(st.booleans()):
            result[name] = draw(from_schema(sub))
    # Objects may gain fields at any time: add a few the SDK does not know.
    extras = draw(st.dictionaries(st.from_regex(r"\Ax_[a-z]{1,8}\Z"), _EXTRA_VALUES, max_size=2))
    result.update(extras)
    return result
