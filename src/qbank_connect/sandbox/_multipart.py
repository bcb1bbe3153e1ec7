"""A small ``multipart/form-data`` parser (the stdlib's ``cgi`` is gone)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

__all__ = ["MultipartError", "Part", "boundary_of", "parse_multipart"]


class MultipartError(ValueError):
    """The body is not valid ``multipart/form-data``."""


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _header_params(value: str, header: str = "content-type") -> Message:
    message = Message()
    message[header] = value
    return message


def boundary_of(content_type: str) -> str | None:
    """The ``boundary`` of a ``multipart/form-data`` content type, or None."""
    message = _header_params(content_type)
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def parse_multipart(body: bytes, boundary: str) -> dict[str, Part]:
    """Parts by field name (the first part wins when a name repeats)."""
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise MultipartError("no closing boundary")
    parts: dict[str, Part] = {}
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n"):
            raise MultipartError("malformed part")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep or not data.endswith(b"\r\n"):
            raise MultipartError("malformed part")
        data = data[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        params = _header_params(disposition, "content-disposition")
        field_name = params.get_param("name", header="content-disposition")
        if params.get_content_disposition() != "form-data" or not isinstance(field_name, str):
            raise MultipartError("part without a form-data name")
        filename = params.get_filename()
        parts.setdefault(field_name, Part(field_name, filename, headers.get("content-type"), data))
    return parts
