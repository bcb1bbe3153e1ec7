"""Turning HTTP answers into models or named exceptions (no I/O: the body is already read)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar, cast

import httpx2
import pydantic

from . import errors

__all__ = [
    "RawResponse",
    "async_raw_method",
    "error_from_response",
    "parse_model",
    "raw_method",
]

T = TypeVar("T")

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
    """The named exception for an error answer. Works for any body: JSON, problem+json, HTML, none."""
    status = response.status_code
    body: Any = _parse_body(response)
    fields = errors.json_object(body)
    error_code = _text(fields.get("error_code"))
    message = _text(fields.get("message")) or _text(fields.get("detail"))
    if message is None:
        message = response.reason_phrase or "HTTP error"
        if isinstance(body, str) and body.strip():
            message += f" (body starts: {body.strip()[:120]!r})"
    request_id = response.headers.get("request-id") or _text(fields.get("request_id"))

    cls = _BY_ERROR_CODE.get(error_code or "") or _BY_STATUS.get(status)
    if status == 409 and (
        "transaction_id" in fields or "problem+json" in response.headers.get("content-type", "")
    ):
        if _text(fields.get("transaction_id")):
            cls = errors.QBankIdempotencyConflict
        else:  # off-contract: nothing to follow, but the key still makes a later retry safe
            message += (
                " (idempotency conflict without a transaction_id; retry later with the same key)"
            )
    if cls is None:
        cls = errors.QBankInternalServerError if status >= 500 else errors.QBankAPIError
    return cls(
        message[:1000],
        response=response,
        body=body,
        error_code=error_code,
        request_id=request_id,
        idempotency_key=idempotency_key,
        retries_taken=retries_taken,
    )


def parse_model(model: type[T], response: httpx2.Response, *, idempotency_key: str | None) -> T:
    """Validate a 2xx body straight from bytes into ``model``."""
    try:
        return model.model_validate_json(response.content)  # type: ignore[attr-defined, no-any-return]
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

    Example::

        raw = client.with_raw_response.payments.create_ach(request=ach)
        print(raw.status_code, raw.request_id, raw.idempotency_key, raw.retries_taken)
        payment = raw.parse()
    """

    def __init__(
        self,
        http_response: httpx2.Response,
        *,
        model: type[Any],
        wrap: Callable[[Any], T] | None = None,
        idempotency_key: str | None,
        retries_taken: int,
        elapsed: timedelta,
    ) -> None:
        self.http_response = http_response
        self.idempotency_key = idempotency_key
        self.retries_taken = retries_taken
        self.elapsed = elapsed
        """Wall time of the whole call, retries and backoff included."""
        self._model = model
        self._wrap = wrap
        self._parsed: T | None = None

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
        result = self._parsed
        if result is None:
            parsed = parse_model(
                self._model, self.http_response, idempotency_key=self.idempotency_key
            )
            result = self._parsed = parsed if self._wrap is None else self._wrap(parsed)
        return result

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


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


P = ParamSpec("P")
R = TypeVar("R")


def async_raw_method(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[RawResponse[R]]]:
    """Types a method of a raw-mode resource: it already returns a :class:`RawResponse`."""
    return cast("Callable[P, Awaitable[RawResponse[R]]]", method)


def raw_method(method: Callable[P, R]) -> Callable[P, RawResponse[R]]:
    """Types a method of a raw-mode resource: it already returns a :class:`RawResponse`."""
    return cast("Callable[P, RawResponse[R]]", method)
