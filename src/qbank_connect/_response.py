"""Turning HTTP answers into models or named exceptions (no I/O: the body is already read)."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar

import httpx2
import pydantic

from . import errors, models

__all__ = [
    "RAW",
    "RawResponse",
    "async_raw_method",
    "error_from_response",
    "parse_model",
    "raw_method",
]

T = TypeVar("T")
M = TypeVar("M", bound=pydantic.BaseModel)

_BY_STATUS: dict[int, type[errors.QBankAPIError]] = {
    400: errors.QBankBadRequestError,
    401: errors.QBankAuthenticationError,
    403: errors.QBankPermissionDeniedError,
    404: errors.QBankNotFoundError,
    409: errors.QBankConflictError,
    422: errors.QBankUnprocessableEntityError,
    429: errors.QBankRateLimitError,
    503: errors.QBankServiceUnavailableError,
}

_BY_ERROR_CODE: dict[str, type[errors.QBankAPIError]] = {
    "ERR_IDEM_002": errors.QBankIdempotencyKeyReuseError,
    "ERR_FUNDS_001": errors.QBankInsufficientFundsError,
}


def error_from_response(
    response: httpx2.Response,
    *,
    idempotency_key: str | None = None,
    retries_taken: int = 0,
) -> errors.QBankAPIError:
    """The named exception for an error answer. Works for any body: JSON, problem+json, HTML, none.

    The body is read with the contract's error models; one that does not fit them (a gateway's
    page, an empty body) still gives a named error, explained by the status and the body's start."""
    status = response.status_code
    body: Any = _parse_body(response)
    error = _error_model(response, status, body)
    error_code: str | None = None
    message: str | None = None
    if isinstance(error, models.ErrorResponse):
        error_code, message = error.error_code or None, error.message or None
        if message and error.details:
            message += _details_suffix(error.details)
    elif isinstance(error, models.IdempotencyConflictProblem):
        message = error.detail
    if not message:
        message = response.reason_phrase or "HTTP error"
        if isinstance(body, str) and body.strip():
            message += f" (body starts: {body.strip()[:120]!r})"

    if isinstance(error, models.IdempotencyConflictProblem):
        cls: type[errors.QBankAPIError] = errors.QBankIdempotencyConflict
    else:
        cls = (
            _BY_ERROR_CODE.get(error_code or "")
            or _BY_STATUS.get(status)
            or (errors.QBankInternalServerError if status >= 500 else errors.QBankAPIError)
        )
    request_id = response.headers.get("request-id") or (
        error.request_id if isinstance(error, models.ErrorResponse) else None
    )
    return cls(
        message[:_MAX_MESSAGE],
        response=response,
        body=body,
        error_code=error_code,
        request_id=request_id,
        idempotency_key=idempotency_key,
        retries_taken=retries_taken,
        error=error,
    )


_MAX_MESSAGE = 1000
_MAX_DETAILS = 5


def _error_model(response: httpx2.Response, status: int, body: object) -> errors.ErrorBody | None:
    if status == 409 and "problem+json" in response.headers.get("content-type", ""):
        return validated(models.IdempotencyConflictProblem, body)
    return validated(models.ErrorResponse, body)


def validated(model: type[M], body: object) -> M | None:
    """``body`` as ``model`` if it fits the contract's schema, else ``None`` (no exception)."""
    if not isinstance(body, dict):
        return None
    try:
        return model.model_validate(body)
    except pydantic.ValidationError:
        return None


def _details_suffix(details: list[models.ErrorDetail]) -> str:
    shown = "; ".join(f"{d.field}: {d.issue}"[:200] for d in details[:_MAX_DETAILS])
    more = len(details) - _MAX_DETAILS
    return f" ({shown}{f'; and {more} more' if more > 0 else ''})"


def parse_model(model: type[M], response: httpx2.Response, idempotency_key: str | None) -> M:
    """Validate a 2xx body straight from bytes into ``model``."""
    try:
        return model.model_validate_json(response.content)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<body>'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise errors.QBankResponseValidationError(
            f"the response does not fit {model.__name__}: {problems}",
            response=response,
            idempotency_key=idempotency_key,
        ) from None


class RawResponse(Generic[T]):
    """An HTTP answer with everything around it; :meth:`parse` gives the model.

    ``http_response`` is the library's own response: an ``httpx2.Response``, or an
    ``httpx.Response`` when the client was given a legacy ``httpx`` client.

    Example::

        raw = client.with_raw_response.payments.create_ach(request=ach)
        print(raw.status_code, raw.request_id, raw.idempotency_key, raw.retries_taken)
        payment = raw.parse()
    """

    __slots__ = (
        "_parse",
        "_parsed",
        "elapsed",
        "http_response",
        "idempotency_key",
        "retries_taken",
    )

    def __init__(
        self,
        http_response: httpx2.Response,
        *,
        parse: Callable[[httpx2.Response], T],
        idempotency_key: str | None,
        retries_taken: int,
        elapsed: timedelta,
    ) -> None:
        self.http_response = http_response
        self.idempotency_key = idempotency_key
        self.retries_taken = retries_taken
        self.elapsed = elapsed
        """Wall time of the whole call, retries and backoff included."""
        self._parse = parse
        self._parsed: list[T] = []

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        """QBank's ``Request-Id`` for this answer, to quote to support."""
        value: str | None = self.http_response.headers.get("request-id")
        return value

    @property
    def replayed(self) -> bool:
        """True when QBank replayed an earlier answer for the same idempotency key."""
        return str(self.http_response.headers.get("idempotent-replayed", "")).lower() == "true"

    def parse(self) -> T:
        """The response body as the operation's model (parsed once, then cached)."""
        if not self._parsed:
            self._parsed.append(self._parse(self.http_response))
        return self._parsed[0]

    def __repr__(self) -> str:
        return (
            f"<RawResponse [{self.status_code}] request_id={self.request_id!r} "
            f"retries_taken={self.retries_taken}>"
        )


def _parse_body(response: httpx2.Response) -> Any:
    content = response.content
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        try:
            return response.text[:2000]
        except Exception:
            return None


P = ParamSpec("P")
R = TypeVar("R")

RAW: ContextVar[bool] = ContextVar("qbank_connect_raw", default=False)
"""Set for the duration of one ``with_raw_response`` call: the pipeline then answers with a
:class:`RawResponse` instead of the model. Per call and per task, so a raw call never leaks into
a concurrent one, and the later pages of a raw list call are parsed as usual."""


def async_raw_method(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[RawResponse[R]]]:
    """``method``, answering with the :class:`RawResponse` (for ``with_raw_response``)."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        token = RAW.set(True)
        try:
            return await method(*args, **kwargs)  # type: ignore[return-value]
        finally:
            RAW.reset(token)

    return call


def raw_method(method: Callable[P, R]) -> Callable[P, RawResponse[R]]:
    """``method``, answering with the :class:`RawResponse` (for ``with_raw_response``)."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        token = RAW.set(True)
        try:
            return method(*args, **kwargs)  # type: ignore[return-value]
        finally:
            RAW.reset(token)

    return call
