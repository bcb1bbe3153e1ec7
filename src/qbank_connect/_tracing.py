"""Optional OpenTelemetry instrumentation: one span per API call, one child span per HTTP attempt.

Active only when the application has configured OpenTelemetry (a tracer or meter provider set
through ``opentelemetry-api``, the ``qbank-connect[otel]`` extra). Otherwise :func:`start_call`
and :func:`start_attempt` return ``None`` after two dictionary look-ups: this module never
imports ``opentelemetry`` itself until the application has, so an SDK without tracing pays
nothing at import time either.

What is recorded follows the OpenTelemetry HTTP client semantic conventions:

- the call span (kind ``INTERNAL``): ``{method} {url.template}``, e.g. ``POST /payments/ach``,
  from the first attempt to the parsed result or the raised error;
- an attempt span (kind ``CLIENT``) under it for every request sent: the first one, each retry,
  the replay after a 401 (``http.request.resend_count`` on all but the first) and each
  ``POST /token`` the call had to make. Its context goes out in the ``traceparent`` header;
- the ``http.client.request.duration`` histogram (seconds), once per attempt.

Attributes are the request method, the server, the URL template (never the URL with its ids),
the status code, ``error.type``, and three of the SDK's own: ``qbank.operation`` (the
operationId), ``qbank.idempotency_key`` and ``qbank.request_id``. Header values, bodies, tokens
and secrets are never read here; exception messages are not recorded (they can quote the body
of an error response), only the exception's class.

Example (what the requester does)::

    call = start_call("POST", "/payments/ach", server, idempotency_key=key)   # None when off
    attempt = call.start_attempt(headers) if call else None   # adds traceparent to headers
    ...
    if attempt:
        attempt.end(response.status_code, None, response.headers.get("request-id"))
    if call:
        call.end(None)
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from . import _operations
from ._version import __version__

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.metrics import Histogram, MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider
    from opentelemetry.util.types import AttributeValue

__all__ = [
    "DURATION_BUCKETS",
    "AttemptSpan",
    "CallSpan",
    "Server",
    "configure",
    "route",
    "server_of",
    "start_attempt",
    "start_call",
]

INSTRUMENTATION_NAME = "qbank_connect"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.27.0"

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
"""The semantic conventions' advised boundaries for ``http.client.request.duration``."""

# (method, URL template, operationId) of each operation: a view of the SDK's one table.
_OPERATIONS = tuple((op.method, op.path, op.operation_id) for op in _operations.OPERATIONS)


def route(method: str, path: str) -> tuple[str | None, str | None]:
    """``(url.template, operationId)`` of an API path (relative to the base URL), or Nones.

    Example::

        route("GET", "/balances/acc_operating")   # ("/balances/{account_id}", "getBalance")
    """
    found = _operations.route(method, path)
    return (None, None) if found is None else (found.path, found.operation_id)


class Server(NamedTuple):
    """Where the API is: the parts of the base URL the spans and the histogram name."""

    scheme: str
    address: str
    port: int


def server_of(base_url: str) -> Server:
    """The :class:`Server` of a client's base URL (computed once per client, not per call).

    Example::

        server_of("https://api.qbankconnect.com/v1")   # Server("https", "api.qbankconnect.com", 443)
    """
    parts = urlsplit(base_url)
    scheme = parts.scheme or "https"
    return Server(scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80))


# -- is OpenTelemetry configured? ------------------------------------------------------------------

_instruments: _Instruments | None = None
"""Set once OpenTelemetry is configured (or by :func:`configure`); then never unset."""

_env_checked = False


def _active() -> _Instruments | None:
    """The instruments, or ``None`` while no provider is set (the cheap path: no allocation).

    The global providers can be set once only, so the answer flips at most once. Until then the
    API's proxies would hand out non-recording spans at a cost; reading whether a provider was
    set costs two dictionary look-ups. ``opentelemetry`` not imported by anyone: no provider."""
    instruments = _instruments
    if instruments is not None:
        return instruments if instruments.on else None
    modules = sys.modules
    trace = modules.get("opentelemetry.trace")
    metrics = modules.get("opentelemetry.metrics._internal")
    if (trace is None or getattr(trace, "_TRACER_PROVIDER", None) is None) and (
        metrics is None or getattr(metrics, "_METER_PROVIDER", None) is None
    ):
        if trace is None or _env_checked:
            return None
        return _load_from_environment()
    return _configure_from_globals()


def _load_from_environment() -> _Instruments | None:
    # OTEL_PYTHON_TRACER_PROVIDER / _METER_PROVIDER name a provider that the API loads on the
    # first get_*_provider() call: make that call once, as any instrumentation would.
    global _env_checked
    _env_checked = True
    if "OTEL_PYTHON_TRACER_PROVIDER" not in os.environ and (
        "OTEL_PYTHON_METER_PROVIDER" not in os.environ
    ):
        return None
    from opentelemetry import metrics, trace

    trace.get_tracer_provider()
    metrics.get_meter_provider()
    return _active()


def _configure_from_globals() -> _Instruments | None:
    global _instruments
    _instruments = _Instruments(None, None)
    return _instruments if _instruments.on else None


def configure(
    tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
) -> None:
    """Trace with these providers instead of the global ones (tests, or an app with several).

    ``configure()`` with no argument goes back to the global providers.

    Example::

        configure(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    """
    global _instruments
    if tracer_provider is None and meter_provider is None:
        _instruments = None
    else:
        _instruments = _Instruments(tracer_provider, meter_provider)


class _Instruments:
    """The tracer, the histogram and the few API functions every span needs, bound once."""

    def __init__(
        self, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
    ) -> None:
        from opentelemetry import context, metrics, propagate, trace
        from opentelemetry.metrics import NoOpHistogram
        from opentelemetry.trace import NoOpTracer, SpanKind, StatusCode

        self.tracer: Tracer = trace.get_tracer(
            INSTRUMENTATION_NAME, __version__, tracer_provider, schema_url=SCHEMA_URL
        )
        meter = metrics.get_meter(
            INSTRUMENTATION_NAME, __version__, meter_provider, schema_url=SCHEMA_URL
        )
        self.duration: Histogram = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        # An explicit no-op provider (or OTEL_SDK_DISABLED) on both sides: stay on the cheap path.
        self.on = not (
            isinstance(self.tracer, NoOpTracer) and isinstance(self.duration, NoOpHistogram)
        )
        self.attach = context.attach
        self.detach = context.detach
        self.inject = propagate.inject
        self.set_span_in_context = trace.set_span_in_context
        self.client = SpanKind.CLIENT
        self.internal = SpanKind.INTERNAL
        self.error = StatusCode.ERROR


def _error_type(error: BaseException) -> str:
    """The exception's class as its library exports it: ``httpx2.ReadTimeout``, not
    ``httpx2._exceptions.ReadTimeout``; ``qbank_connect.errors.QBankNotFoundError``."""
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    public: list[str] = []
    for part in cls.__module__.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join([*public, cls.__qualname__])


def start_call(
    method: str,
    path: str,
    server: Server,
    *,
    idempotency_key: str | None = None,
    operation: str | None = None,
    url_template: str | None = None,
) -> CallSpan | None:
    """Open the span of one logical call, or return ``None`` (at once) when tracing is off.

    ``path`` is the API path relative to the base URL; its template and operationId come from
    the operation table unless given. The span becomes the current span until :meth:`CallSpan.end`.

    Example::

        call = start_call("GET", "/balances/acc_operating", server)
    """
    instruments = _active()
    if instruments is None:
        return None
    if url_template is None or operation is None:
        template, op = route(method, path)
        url_template = url_template or template
        operation = operation or op
    return CallSpan(instruments, method, server, url_template, operation, idempotency_key)


def start_attempt(
    method: str,
    path: str,
    server: Server,
    headers: MutableMapping[str, str],
    *,
    resend_count: int = 0,
) -> AttemptSpan | None:
    """Open an attempt span under the current span (the token request), or ``None`` when off.

    Example::

        attempt = start_attempt("POST", "/token", server, headers, resend_count=retries)
    """
    instruments = _active()
    if instruments is None:
        return None
    template, operation = route(method, path)
    return AttemptSpan(
        instruments, None, method, server, template, operation, None, headers, resend_count
    )


def _span_name(method: str, url_template: str | None) -> str:
    return f"{method} {url_template}" if url_template else method


class CallSpan:
    """The span of one logical call; its attempts are child spans. End it exactly once."""

    __slots__ = (
        "_attempts",
        "_context",
        "_ended",
        "_instruments",
        "_key",
        "_last",
        "_method",
        "_operation",
        "_server",
        "_span",
        "_template",
        "_token",
    )

    def __init__(
        self,
        instruments: _Instruments,
        method: str,
        server: Server,
        url_template: str | None,
        operation: str | None,
        idempotency_key: str | None,
    ) -> None:
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "server.address": server.address,
            "server.port": server.port,
        }
        if url_template:
            attributes["url.template"] = url_template
        if operation:
            attributes["qbank.operation"] = operation
        if idempotency_key:
            attributes["qbank.idempotency_key"] = idempotency_key
        self._instruments = instruments
        self._method = method
        self._server = server
        self._template = url_template
        self._operation = operation
        self._key = idempotency_key
        self._attempts = 0
        self._ended = False
        self._last: AttemptSpan | None = None
        self._span: Span = instruments.tracer.start_span(
            _span_name(method, url_template),
            kind=instruments.internal,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        )
        self._context: Context = instruments.set_span_in_context(self._span)
        # Current while the call runs: the token request it may make nests under it, and so does
        # anything the application logs or traces meanwhile.
        self._token = instruments.attach(self._context)

    def start_attempt(self, headers: MutableMapping[str, str]) -> AttemptSpan:
        """Open the span of the next HTTP attempt and put its trace context into ``headers``.

        The first attempt has no ``http.request.resend_count``; the next ones count 1, 2, ...
        whatever the reason (a retry or the replay after a 401)."""
        attempt = AttemptSpan(
            self._instruments,
            self._context,
            self._method,
            self._server,
            self._template,
            self._operation,
            self._key,
            headers,
            self._attempts,
        )
        self._attempts += 1
        self._last = attempt
        return attempt

    def end(self, error: BaseException | None = None) -> None:
        """Close the call span: ``error`` is what the call raised (``None`` if it returned).

        Call it in the task or thread that started the call (it restores the current span
        there); a second call does nothing."""
        if self._ended:
            return
        self._ended = True
        span = self._span
        try:
            if span.is_recording():
                last = self._last
                if last is not None:
                    if last.status_code is not None:
                        span.set_attribute("http.response.status_code", last.status_code)
                    if last.request_id:
                        span.set_attribute("qbank.request_id", last.request_id)
                if error is not None:
                    span.set_attribute("error.type", _error_type(error))
                    span.set_status(self._instruments.error)
            span.end()
        finally:
            self._instruments.detach(self._token)


class AttemptSpan:
    """The ``CLIENT`` span of one HTTP request sent. End it exactly once."""

    __slots__ = ("_attributes", "_instruments", "_span", "_started", "request_id", "status_code")

    def __init__(
        self,
        instruments: _Instruments,
        parent: Context | None,
        method: str,
        server: Server,
        url_template: str | None,
        operation: str | None,
        idempotency_key: str | None,
        headers: MutableMapping[str, str],
        resend_count: int,
    ) -> None:
        # The histogram's attributes: low cardinality only (no key, no request id).
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "server.address": server.address,
            "server.port": server.port,
            "url.scheme": server.scheme,
        }
        if url_template:
            attributes["url.template"] = url_template
        self._attributes = attributes
        span_attributes = dict(attributes)
        if resend_count:
            span_attributes["http.request.resend_count"] = resend_count
        if operation:
            span_attributes["qbank.operation"] = operation
        if idempotency_key:
            span_attributes["qbank.idempotency_key"] = idempotency_key
        self._instruments = instruments
        self.status_code: int | None = None
        self.request_id: str | None = None
        self._span: Span = instruments.tracer.start_span(
            _span_name(method, url_template),
            context=parent,
            kind=instruments.client,
            attributes=span_attributes,
            record_exception=False,
            set_status_on_exception=False,
        )
        instruments.inject(headers, instruments.set_span_in_context(self._span, parent))
        self._started = time.perf_counter()

    def end(
        self,
        status_code: int | None,
        error: BaseException | None = None,
        request_id: str | None = None,
    ) -> None:
        """Close the span and record the duration: the response's status code (``None`` if
        none came), the exception that replaced it, and the response's ``request-id`` header."""
        elapsed = time.perf_counter() - self._started
        self.status_code, self.request_id = status_code, request_id
        attributes = self._attributes
        if status_code is not None:
            attributes["http.response.status_code"] = status_code
        if status_code is not None and status_code >= 400:
            attributes["error.type"] = str(status_code)
        elif error is not None:
            attributes["error.type"] = _error_type(error)
        span = self._span
        if span.is_recording():
            span.set_attributes(attributes)
            if request_id:
                span.set_attribute("qbank.request_id", request_id)
            if "error.type" in attributes:
                span.set_status(self._instruments.error)
        span.end()
        self._instruments.duration.record(elapsed, attributes)
