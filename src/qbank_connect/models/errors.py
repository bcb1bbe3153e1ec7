"""Error bodies of the contract. The SDK parses them into the exceptions of ``qbank_connect.errors``."""

from __future__ import annotations

from ._base import ResponseModel

__all__ = ["ErrorDetail", "ErrorResponse", "IdempotencyConflictProblem", "OAuthErrorResponse"]


class ErrorDetail(ResponseModel):
    field: str
    issue: str


class ErrorResponse(ResponseModel):
    """The standard error body (``application/json``).

    Read leniently: the contract requires ``message`` and ``error_code``, but an error body is
    read to explain a failure, and a gateway or a partial body must still give what it has."""

    message: str | None = None
    error_code: str | None = None
    request_id: str | None = None
    details: list[ErrorDetail] | None = None


class IdempotencyConflictProblem(ResponseModel):
    """RFC 7807 problem details sent with a 409 idempotency conflict."""

    type: str
    title: str
    status: int | None = None
    detail: str
    transaction_id: str
    instance: str | None = None
    request_id: str | None = None


class OAuthErrorResponse(ResponseModel):
    """An RFC 6749 error from ``POST /token`` (the value of ``error`` is an open enumeration)."""

    error: str
    error_description: str | None = None
