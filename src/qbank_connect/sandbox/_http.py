"""Requests and responses as the sandbox sees them, and the JSON bodies it answers with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "JSON",
    "PROBLEM_JSON",
    "SYSTEM_ERRORS",
    "Detail",
    "Rejected",
    "Request",
    "Response",
    "error_response",
    "framed",
    "json_response",
]

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

Detail = dict[str, str]
"""One field-level problem of a 400 ``ERR_VAL_001``: ``{"field": ..., "issue": ...}``."""

SYSTEM_ERRORS: Mapping[int, tuple[str, str]] = {
    500: ("ERR_SYS_000", "An internal error occurred. Retry later."),
    502: ("ERR_SYS_002", "Bad gateway. Retry later."),
    503: ("ERR_SYS_001", "The service is under maintenance. Retry after the indicated delay."),
    504: ("ERR_SYS_004", "Gateway timeout. Retry later."),
    429: ("ERR_RATE_001", "Too many requests. Retry after the indicated delay."),
}
"""The error code and message of each status the sandbox answers on its own behalf."""


@dataclass(frozen=True)
class Request:
    """A request as the sandbox sees it; ``headers`` keys are lowercase.

    Example::

        request = Request.build("GET", "/v1/accounts", "limit=5", {"Authorization": "..."}, b"")
        sandbox.handle(request)
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query: str | tuple[tuple[str, str], ...],
        headers: Mapping[str, str] | list[tuple[str, str]],
        body: bytes,
    ) -> Request:
        """A request from raw parts; repeated headers are joined with ``", "``."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        merged: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        if isinstance(query, str):
            query = tuple(parse_qsl(query, keep_blank_values=True))
        return cls(method.upper(), path, query, merged, body)

    def param(self, name: str) -> str | None:
        """The first query parameter called ``name``, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def content_type(self) -> str:
        """The media type of the body, lowercase and without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Response:
    """A response as the sandbox answers it.

    Example::

        response = sandbox.handle(request)
        assert response is not None and response.header("Request-Id")
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class Rejected(Exception):
    """Raised while handling a request to answer at once with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(
    request_id: str,
    status: int,
    payload: Any,
    *,
    content_type: str = JSON,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """``payload`` as compact JSON, with ``Content-Type`` and ``Request-Id``."""
    return Response(
        status,
        [("Content-Type", content_type), ("Request-Id", request_id), *(headers or [])],
        json.dumps(payload, separators=(",", ":")).encode(),
    )


def error_response(
    request_id: str,
    status: int,
    code: str,
    message: str,
    *,
    details: list[Detail] | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """The spec's standard error body: ``message``, ``error_code``, ``request_id``, ``details``."""
    body: dict[str, Any] = {"message": message, "error_code": code, "request_id": request_id}
    if details:
        body["details"] = details
    return json_response(request_id, status, body, headers=headers)


def framed(method: str, response: Response, date: datetime | None = None) -> Response:
    """The response as sent: with ``Content-Length`` and ``Date`` (the sandbox clock's); for
    ``HEAD``, the GET's headers and no body (RFC 9110 section 9.3.2)."""
    headers = [*response.headers, ("Content-Length", str(len(response.body)))]
    if date is not None:
        headers.append(("Date", format_datetime(date.astimezone(timezone.utc), usegmt=True)))
    return Response(response.status, headers, b"" if method == "HEAD" else response.body)
