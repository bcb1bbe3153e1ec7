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
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import httpx2

    from .models import Payment
    from .models.errors import ErrorResponse, IdempotencyConflictProblem, OAuthErrorResponse

    ErrorBody = Union[ErrorResponse, IdempotencyConflictProblem, OAuthErrorResponse]

__all__ = [
    "QBankAPIError",
    "QBankAuthenticationError",
    "QBankBadRequestError",
    "QBankClosedError",
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
    "QBankRequestError",
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
    "QBankStoreDriverMissingError",
    "QBankStoreError",
    "QBankStoreURLError",
    "QBankStoreUnavailableError",
]


class QBankError(Exception):
    """Base of every exception the SDK raises."""


class QBankRequestError(QBankError):
    """A call that failed: the base of HTTP errors, connection errors and malformed answers.

    Whatever went wrong, it carries what you need to retry safely and to ask support.

    Attributes:
        idempotency_key: the key the call sent, if it was a transactional POST; calling again
            with it is safe and executes at most once.
        retries_taken: automatic retries made before giving up.
        request: the last ``httpx2.Request`` sent (``None`` if none was).
        response: the ``httpx2.Response`` (``None`` when no answer came).
        status_code: the HTTP status (``None`` when no answer came).
        request_id: QBank's ``Request-Id``, to quote to support.
        headers: the response headers (empty when no answer came).
        body: the parsed JSON body, or the raw text when it was not JSON.
    """

    status_code: int | None

    def __init__(
        self,
        message: str,
        *,
        request: httpx2.Request | None = None,
        response: httpx2.Response | None = None,
        body: object = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
        retries_taken: int = 0,
    ) -> None:
        self.request = request if request is not None or response is None else _request_of(response)
        self.response = response
        self.status_code = None if response is None else response.status_code
        self.headers: Mapping[str, str] = {} if response is None else response.headers
        if request_id is None and response is not None:
            request_id = response.headers.get("request-id")
        self.request_id = request_id
        self.body = body
        self.idempotency_key = idempotency_key
        self.retries_taken = retries_taken
        self.message = message
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = self.message
        if self.request_id:
            text += f" (request_id={self.request_id})"
        if self.idempotency_key:
            text += f" (idempotency_key={self.idempotency_key})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class QBankAPIError(QBankRequestError):
    """The API answered with an HTTP error status.

    Attributes (besides those of :class:`QBankRequestError`):
        message: QBank's explanation (``message``, or a problem's ``detail``).
        error_code: QBank's code, e.g. ``ERR_FUNDS_001`` (``None`` when the body had none).
        error: the error body as the contract's model (``ErrorResponse``,
            ``IdempotencyConflictProblem`` or ``OAuthErrorResponse``), or ``None`` when the body
            did not fit the contract (a gateway's HTML page, say).
    """

    # An answer always came: narrower than the base's, on purpose.
    status_code: int  # pyright: ignore[reportIncompatibleVariableOverride]
    response: httpx2.Response  # pyright: ignore[reportIncompatibleVariableOverride]

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
        error: ErrorBody | None = None,
    ) -> None:
        self.error_code = error_code
        self.error = error
        super().__init__(
            message,
            response=response,
            body=body,
            request_id=request_id,
            idempotency_key=idempotency_key,
            retries_taken=retries_taken,
        )

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (``Retry-After``, seconds or an HTTP date), if any."""
        from ._retry import parse_retry_after

        return parse_retry_after(self.headers.get("retry-after"))

    def _describe(self) -> str:
        head = f"{self.status_code} {self.error_code}" if self.error_code else f"{self.status_code}"
        text = f"{head}: {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        if self.idempotency_key:
            text += f" (idempotency_key={self.idempotency_key})"
        return text


class QBankBadRequestError(QBankAPIError):
    """400: the request was malformed or failed validation (``ERR_VAL_001``, ``ERR_IDEM_001``).

    ``details`` lists field-level problems when QBank gave them; the message includes them."""

    @property
    def details(self) -> list[dict[str, Any]]:
        """Field-level problems: ``[{"field": ..., "issue": ...}]``."""
        from .models.errors import ErrorResponse

        error = self.error
        if not isinstance(error, ErrorResponse) or not error.details:
            return []
        return [detail.model_dump(mode="json") for detail in error.details]


class QBankAuthenticationError(QBankAPIError):
    """401: the access token was refused even after one fresh token (``ERR_AUTH_001``)."""


class QBankPermissionDeniedError(QBankAPIError):
    """403: the token lacks the operation's scope (``ERR_SCOPE_001``)."""


class QBankNotFoundError(QBankAPIError):
    """404: the account or payment does not exist (``ERR_ACC_001``, ``ERR_PAY_001``)."""


class QBankConflictError(QBankAPIError):
    """409 that is not an idempotency conflict (its body is not the contract's problem)."""


class QBankIdempotencyConflict(QBankConflictError):
    """409: a request with this ``Idempotency-Key`` is still being processed.

    Do not retry: poll the in-flight payment instead (a call with ``conflict_wait=`` does it for
    you, and raises this only when the wait ran out)::

        payment = client.payments.wait(e.transaction_id)

    ``transaction_id`` is the contract's, from QBank's 409; it is ``None`` only when the call
    waited for another sender of your own fleet that holds the payment journal's entry and no
    409 has named the transaction yet (then ``status_code`` is ``None`` too: nothing was sent).
    """

    error: IdempotencyConflictProblem | None  # pyright: ignore[reportIncompatibleVariableOverride]
    status_code: int | None  # type: ignore[assignment]  # pyright: ignore[reportIncompatibleVariableOverride]

    @classmethod
    def in_flight(
        cls, message: str, *, idempotency_key: str, transaction_id: str | None
    ) -> QBankIdempotencyConflict:
        """The conflict of a call that waited ``conflict_wait`` for another sender of the same
        journal entry: no request was sent, so there is no response."""
        error = cls.__new__(cls)
        error._local_transaction_id = transaction_id
        error.error_code = None
        error.error = None
        QBankRequestError.__init__(error, message, idempotency_key=idempotency_key)
        return error

    _local_transaction_id: str | None = None

    @property
    def transaction_id(self) -> str | None:
        """The id of the payment (or file, or check issue) being processed: poll it."""
        if self.error is None:
            return self._local_transaction_id
        return self.error.transaction_id

    @property
    def detail(self) -> str:
        return self.message if self.error is None else self.error.detail

    @property
    def title(self) -> str:
        return "Idempotency Violation" if self.error is None else self.error.title

    @property
    def type(self) -> str:
        """The problem type URI (RFC 7807)."""
        if self.error is None:
            return "https://docs.qbankconnect.com/problems/idempotency-conflict"
        return self.error.type

    @property
    def instance(self) -> str | None:
        return None if self.error is None else self.error.instance

    def _describe(self) -> str:
        text = (
            QBankRequestError._describe(self) if self.status_code is None else super()._describe()
        )
        if self.transaction_id is None:
            return text
        return text + f" (transaction_id={self.transaction_id})"


class QBankUnprocessableEntityError(QBankAPIError):
    """422: QBank understood the request and refused it (a business rule)."""


class QBankIdempotencyKeyReuseError(QBankUnprocessableEntityError):
    """422 ``ERR_IDEM_002``: the key was already used with another body or operation."""


class QBankInsufficientFundsError(QBankUnprocessableEntityError):
    """422 ``ERR_FUNDS_001``: the source account cannot cover the payment."""


class QBankRateLimitError(QBankAPIError):
    """429: too many requests. ``retry_after`` is the server's wait in seconds, if it gave one."""


class QBankInternalServerError(QBankAPIError):
    """5xx: QBank failed. For a transactional call, retry with the same ``idempotency_key``."""


class QBankServiceUnavailableError(QBankInternalServerError):
    """503: QBank is under maintenance (``ERR_SYS_001``); see ``retry_after``."""


class QBankConnectionError(QBankRequestError):
    """The request did not get an answer: DNS, connect, TLS, or the connection dropped.

    For a transactional call the payment may or may not have been made: retry with
    ``idempotency_key`` (it is on the exception) and QBank executes it at most once."""


class QBankTimeoutError(QBankConnectionError):
    """The request timed out. As with any connection error, retry with the same key."""


class QBankResponseValidationError(QBankRequestError):
    """A response that does not fit the contract: a body that is not JSON, or not the model.

    ``body`` is the raw text, cut to 2,000 characters."""

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        idempotency_key: str | None = None,
        retries_taken: int = 0,
    ) -> None:
        super().__init__(
            message,
            response=response,
            body=_safe_text(response),
            idempotency_key=idempotency_key,
            retries_taken=retries_taken,
        )

    def _describe(self) -> str:
        text = f"{self.message} (status={self.status_code}"
        if self.request_id:
            text += f", request_id={self.request_id}"
        if self.idempotency_key:
            text += f", idempotency_key={self.idempotency_key}"
        return text + ")"


class QBankClosedError(QBankError):
    """A call on a client after ``close()`` / ``aclose()``: create a new client."""


class QBankTokenError(QBankAPIError):
    """``POST /token`` refused the credentials or scopes.

    ``error_code`` is the OAuth error (``invalid_client``, ``invalid_scope``, ...); ``error`` the
    ``OAuthErrorResponse``."""


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


def _request_of(response: httpx2.Response) -> httpx2.Request | None:
    try:
        return response.request
    except RuntimeError:  # a response built by hand, never sent
        return None


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


# -- the stores (token cache, journal, webhook de-duplication) ------------------------------
# No message ever contains a password from a store URL: URLs are shown with it replaced by ***.


class QBankStoreError(QBankError):
    """A store (token cache, journal, webhook de-duplication) cannot be used.

    Example::

        try:
            client = QBankConnect(token_cache="redis://cache.internal:6379/0")
            client.authenticate()
        except QBankStoreError as e:
            print("the token cache is not usable:", e)
    """


class QBankStoreURLError(QBankStoreError, ValueError):
    """A store URL is malformed, or names a scheme the SDK does not know (raised before any I/O)."""


class QBankStoreDriverMissingError(QBankStoreError, ImportError):
    """The optional package a store needs is not installed; the message names the extra."""


class QBankStoreUnavailableError(QBankStoreError):
    """The store cannot be opened, reached or written: a closed port, a read-only or corrupt
    SQLite file, a refused login."""
