"""Every failure the SDK raises, all under :class:`QBankError`.

HTTP failures carry what support needs (``status_code``, ``error_code``, ``request_id``,
``idempotency_key``, ``headers``, ``body``); network failures and malformed answers have their own
classes. Messages never contain credentials or tokens.

Example::

    from qbank_connect.errors import QBankIdempotencyConflict, QBankRateLimitError

    try:
        client.payments.create_ach(request=ach)
    except QBankIdempotencyConflict as e:
        payment = client.payments.wait(e.transaction_id)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeGuard, cast

if TYPE_CHECKING:
    import httpx2

    from .models import Payment

__all__ = [
    "QBankAPIError",
    "QBankAuthenticationError",
    "QBankBadRequestError",
    "QBankConflictError",
    "QBankConnectionError",
    "QBankError",
    "QBankIdempotencyConflict",
    "QBankIdempotencyKeyReuseError",
    "QBankInsufficientFundsError",
    "QBankInternalServerError",
    "QBankNotFoundError",
    "QBankPaymentWaitTimeout",
    "QBankPermissionDeniedError",
    "QBankRateLimitError",
    "QBankResponseValidationError",
    "QBankServiceUnavailableError",
    "QBankTimeoutError",
    "QBankTokenError",
    "QBankUnprocessableEntityError",
    "QBankWebhookVerificationError",
    "WebhookInvalidEventError",
    "WebhookMalformedHeaderError",
    "WebhookMissingHeaderError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "QBankReconciliationRequiredError",
    "QBankReferenceReuseError",
]


class QBankError(Exception):
    """Base of every exception the SDK raises."""


class QBankAPIError(QBankError):
    """The API answered with an HTTP error status.

    Attributes:
        status_code: the HTTP status.
        message: QBank's explanation (``message``, or a problem's ``detail``).
        error_code: QBank's code, e.g. ``ERR_FUNDS_001`` (``None`` when the body had none).
        request_id: the ``Request-Id`` to quote to QBank support.
        idempotency_key: the key the call sent, if it was a transactional POST; retrying with
            it is safe and executes at most once.
        headers: the response headers.
        body: the parsed JSON body, or the raw text when it was not JSON.
        response: the ``httpx2.Response``.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        body: object = None,
        error_code: str | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        retries_taken: int = 0,
    ) -> None:
        self.status_code = response.status_code
        self.message = message
        self.error_code = error_code
        self.request_id = request_id
        self.idempotency_key = idempotency_key
        self.retries_taken = retries_taken
        self.headers: Mapping[str, str] = response.headers
        self.body = body
        self.response = response
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.status_code}"]
        if self.error_code:
            parts.append(self.error_code)
        text = f"{' '.join(parts)}: {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        if self.idempotency_key:
            text += f" (idempotency_key={self.idempotency_key})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()!r})"


class QBankBadRequestError(QBankAPIError):
    """400: the request was malformed or failed validation (``ERR_VAL_001``, ``ERR_IDEM_001``).

    ``details`` lists field-level problems when QBank gave them."""

    @property
    def details(self) -> list[dict[str, Any]]:
        """Field-level problems: ``[{"field": ..., "issue": ...}]``."""
        details: object = json_object(self.body).get("details")
        if not isinstance(details, list):
            return []
        return [item for item in cast("list[object]", details) if is_json_object(item)]


class QBankAuthenticationError(QBankAPIError):
    """401: the access token was refused even after one fresh token (``ERR_AUTH_001``)."""


class QBankPermissionDeniedError(QBankAPIError):
    """403: the token lacks the operation's scope (``ERR_SCOPE_001``)."""


class QBankNotFoundError(QBankAPIError):
    """404: the account or payment does not exist (``ERR_ACC_001``, ``ERR_PAY_001``)."""


class QBankConflictError(QBankAPIError):
    """409 that is not an idempotency conflict."""


class QBankIdempotencyConflict(QBankConflictError):
    """409: a request with this ``Idempotency-Key`` is still being processed.

    Do not retry. Poll the in-flight payment instead::

        payment = client.payments.wait(e.transaction_id)
    """

    @property
    def transaction_id(self) -> str | None:
        """The id of the payment (or file, or check issue) being processed: poll it."""
        return self._problem("transaction_id")

    @property
    def detail(self) -> str:
        return self._problem("detail") or self.message

    @property
    def title(self) -> str | None:
        return self._problem("title")

    @property
    def type(self) -> str | None:
        """The problem type URI (RFC 7807)."""
        return self._problem("type")

    @property
    def instance(self) -> str | None:
        return self._problem("instance")

    def _problem(self, field: str) -> str | None:
        return _str_or_none(json_object(self.body).get(field))

    def _describe(self) -> str:
        text = super()._describe()
        if self.transaction_id:
            text += f" (transaction_id={self.transaction_id})"
        return text


class QBankUnprocessableEntityError(QBankAPIError):
    """422: QBank understood the request and refused it (a business rule)."""


class QBankIdempotencyKeyReuseError(QBankUnprocessableEntityError):
    """422 ``ERR_IDEM_002``: the key was already used with another body or operation."""


class QBankInsufficientFundsError(QBankUnprocessableEntityError):
    """422 ``ERR_FUNDS_001``: the source account cannot cover the payment."""


class QBankRateLimitError(QBankAPIError):
    """429: too many requests. ``retry_after`` is the server's wait in seconds, if it gave one."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait, from ``Retry-After``."""
        from ._retry import parse_retry_after

        return parse_retry_after(self.headers.get("retry-after"))


class QBankInternalServerError(QBankAPIError):
    """5xx: QBank failed. For a transactional call, retry with the same ``idempotency_key``."""


class QBankServiceUnavailableError(QBankInternalServerError):
    """503: QBank is under maintenance (``ERR_SYS_001``); see ``retry_after``."""

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait, from ``Retry-After``."""
        from ._retry import parse_retry_after

        return parse_retry_after(self.headers.get("retry-after"))


class QBankConnectionError(QBankError):
    """The request did not get an answer: DNS, connect, TLS, or the connection dropped.

    For a transactional call the payment may or may not have been made: retry with
    ``idempotency_key`` (it is on the exception) and QBank executes it at most once."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx2.Request | None = None,
        idempotency_key: str | None = None,
        retries_taken: int = 0,
    ) -> None:
        self.request = request
        self.idempotency_key = idempotency_key
        self.retries_taken = retries_taken
        if idempotency_key:
            message += f" (idempotency_key={idempotency_key})"
        super().__init__(message)


class QBankTimeoutError(QBankConnectionError):
    """The request timed out. As with any connection error, retry with the same key."""


class QBankResponseValidationError(QBankError):
    """A response that does not fit the contract: a body that is not JSON, or not the model.

    Attributes: ``status_code``, ``request_id``, ``idempotency_key``, ``body`` (raw text, cut to
    2,000 characters), ``response``."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        idempotency_key: str | None = None,
    ) -> None:
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get("request-id")
        self.idempotency_key = idempotency_key
        self.headers: Mapping[str, str] = response.headers
        self.body = _safe_text(response)
        text = f"{message} (status={self.status_code}"
        if self.request_id:
            text += f", request_id={self.request_id}"
        if idempotency_key:
            text += f", idempotency_key={idempotency_key}"
        super().__init__(text + ")")


class QBankTokenError(QBankAPIError):
    """``POST /token`` refused the credentials or scopes.

    ``error_code`` is the OAuth error (``invalid_client``, ``invalid_scope``, ...)."""


class QBankPaymentWaitTimeout(QBankError):
    """``payments.wait`` gave up before the payment reached a final status.

    ``payment`` is the last state seen (``None`` if none was read)."""

    def __init__(self, message: str, *, payment_id: str, payment: Payment | None) -> None:
        self.payment_id = payment_id
        self.payment = payment
        super().__init__(message)


class QBankWebhookVerificationError(QBankError):
    """A webhook delivery failed verification; answer it with 400 and do not act on it.

    ``reason`` says why: ``missing_header``, ``malformed_header``, ``no_matching_signature``,
    ``timestamp_outside_tolerance`` or ``invalid_event``."""

    reason: str = "invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        if reason is not None:
            self.reason = reason
        super().__init__(message)


class WebhookMissingHeaderError(QBankWebhookVerificationError):
    """``Webhook-Signature`` or ``Webhook-Event-ID`` is absent or empty."""

    reason = "missing_header"


class WebhookMalformedHeaderError(QBankWebhookVerificationError):
    """A webhook header is unparsable, oversized, or present more than once."""

    reason = "malformed_header"


class WebhookSignatureError(QBankWebhookVerificationError):
    """No ``v1`` signature matches any configured secret: forged, tampered, or the wrong secret."""

    reason = "no_matching_signature"


class WebhookTimestampError(QBankWebhookVerificationError):
    """The signature is genuine but ``t`` is outside the tolerance: a replay, a stale queued
    delivery (pass ``now=`` the time it was received), or a wrong clock."""

    reason = "timestamp_outside_tolerance"


class WebhookInvalidEventError(QBankWebhookVerificationError):
    """The body is authentic but is not a valid ``WebhookEvent`` (not JSON, or not the schema)."""

    reason = "invalid_event"


def is_json_object(value: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict)


def json_object(value: object) -> dict[str, Any]:
    """``value`` if it is a parsed JSON object, else an empty dict (bodies can be anything)."""
    return value if is_json_object(value) else {}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _safe_text(response: httpx2.Response) -> str:
    try:
        return response.text[:2000]
    except Exception:  # a response whose body was never read, or cannot be decoded
        return ""


class QBankReferenceReuseError(QBankError):
    """The ``reference`` was already used for this operation with another request body.

    Nothing was sent. ``reference`` and ``idempotency_key`` name the recorded call."""

    def __init__(self, message: str, *, reference: str, idempotency_key: str) -> None:
        self.reference = reference
        self.idempotency_key = idempotency_key
        super().__init__(message)


class QBankReconciliationRequiredError(QBankError):
    """A journaled call has no recorded outcome and its key is older than QBank's 24-hour
    retention: sending it again could pay twice, so it was not sent.

    Look the payment up by hand (``payments.list``) with ``idempotency_key``, ``reference`` and
    ``body_digest``."""

    def __init__(
        self, message: str, *, reference: str, idempotency_key: str, body_digest: str
    ) -> None:
        self.reference = reference
        self.idempotency_key = idempotency_key
        self.body_digest = body_digest
        super().__init__(message)


# The stores' errors (token cache, journal, webhook de-duplication) live in their own module.
from ._store_errors import QBankStoreDriverMissingError as QBankStoreDriverMissingError  # noqa: E402
from ._store_errors import QBankStoreError as QBankStoreError  # noqa: E402
from ._store_errors import QBankStoreUnavailableError as QBankStoreUnavailableError  # noqa: E402
from ._store_errors import QBankStoreURLError as QBankStoreURLError  # noqa: E402
