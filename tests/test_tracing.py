"""qbank_connect._tracing on its own: the operation table, the off path, the global providers."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx2
import pytest
from opentelemetry.trace import SpanKind

from qbank_connect import _tracing
from qbank_connect.errors import QBankPaymentWaitTimeout

from .telemetry import Telemetry, attrs

ROOT = Path(__file__).resolve().parent.parent
SERVER = _tracing.server_of("https://api.qbankconnect.com/v1")


def spec_operations() -> set[tuple[str, str, str]]:
    """(METHOD, path template, operationId) of every operation in spec/openapi.yaml."""
    text = (ROOT / "spec" / "openapi.yaml").read_text()
    paths = text.split("\npaths:\n", 1)[1].split("\nwebhooks:\n", 1)[0]
    found = set()
    path = None
    method = None
    for line in paths.splitlines():
        if m := re.fullmatch(r"  (/\S*):", line):
            path = m.group(1)
        elif m := re.fullmatch(r"    (get|post|put|patch|delete):", line):
            method = m.group(1).upper()
        elif m := re.fullmatch(r"      operationId: (\w+)", line):
            assert path and method
            found.add((method, path, m.group(1)))
    return found


def test_the_operation_table_is_the_spec() -> None:
    assert set(_tracing._OPERATIONS) == spec_operations()
    assert len(spec_operations()) == 13


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/balances/acc_operating", ("/balances/{account_id}", "getBalance")),
        ("GET", "/accounts", ("/accounts", "listAccounts")),
        ("GET", "/accounts/acc%2F1", ("/accounts/{account_id}", "getAccount")),
        ("POST", "/payments/ach", ("/payments/ach", "createAchPayment")),
        ("POST", "/payments/ach/files", ("/payments/ach/files", "uploadAchFile")),
        (
            "GET",
            "/payments/5f0c6f1e-8d1b-4c7a-9a53-2b0f5e9c1d47",
            ("/payments/{payment_id}", "getPayment"),
        ),
        ("POST", "/token", ("/token", "createToken")),
        ("GET", "/token", (None, None)),
        ("GET", "/payments/", (None, None)),
        ("DELETE", "/accounts/acc_1", (None, None)),
        ("GET", "/unknown/deeper/path", (None, None)),
    ],
)
def test_route(method: str, path: str, expected: tuple[str | None, str | None]) -> None:
    assert _tracing.route(method, path) == expected


def test_server_of() -> None:
    assert SERVER == ("https", "api.qbankconnect.com", 443)
    assert _tracing.server_of("http://127.0.0.1:8080/v1") == ("http", "127.0.0.1", 8080)
    assert _tracing.server_of("http://sandbox.qbank.local/v1") == (
        "http",
        "sandbox.qbank.local",
        80,
    )


def test_without_a_provider_the_calls_are_not_traced() -> None:
    import opentelemetry.trace

    assert opentelemetry.trace._TRACER_PROVIDER is None  # no test sets the global provider
    headers: dict[str, str] = {}
    assert _tracing.start_call("GET", "/accounts", SERVER) is None
    assert _tracing.start_attempt("POST", "/token", SERVER, headers) is None
    assert headers == {}


def test_error_type_is_the_exported_class_name() -> None:
    request = httpx2.Request("GET", "https://api.qbankconnect.com/v1/accounts")
    assert _tracing._error_type(httpx2.ReadTimeout("t", request=request)) == "httpx2.ReadTimeout"
    assert (
        _tracing._error_type(QBankPaymentWaitTimeout("x", payment_id="p", payment=None))
        == "qbank_connect.errors.QBankPaymentWaitTimeout"
    )
    assert _tracing._error_type(ValueError()) == "ValueError"


def test_a_span_pair_by_hand_and_a_second_end_is_harmless() -> None:
    with Telemetry() as otel:
        headers = {"Authorization": "Bearer secret-token"}
        call = _tracing.start_call("GET", "/payments", SERVER, idempotency_key=None)
        assert call is not None
        attempt = call.start_attempt(headers)
        assert set(headers) == {"Authorization", "traceparent"}
        attempt.end(None, httpx2.ConnectError("refused"))
        call.end(QBankPaymentWaitTimeout("x", payment_id="p", payment=None))
        call.end(None)
        (span,) = otel.calls()
        (client,) = otel.attempts()
    assert span.name == client.name == "GET /payments"
    assert attrs(client)["error.type"] == "httpx2.ConnectError"
    assert attrs(span)["error.type"] == "qbank_connect.errors.QBankPaymentWaitTimeout"
    assert client.kind is SpanKind.CLIENT and span.kind is SpanKind.INTERNAL
    assert "http.response.status_code" not in attrs(span)
    # an unknown path: the span is named by its method alone, with no template
    with Telemetry() as otel:
        call = _tracing.start_call("GET", "/not/an/operation", SERVER)
        assert call is not None
        call.end(None)
        (span,) = otel.calls()
    assert span.name == "GET" and "url.template" not in attrs(span)


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_tracing_starts_when_the_application_sets_its_provider() -> None:
    """A fresh process: off (opentelemetry not even imported), then on once a provider is set."""
    out = run(
        """
        import sys
        from qbank_connect import QBankConnect, _tracing
        from qbank_connect.sandbox import Sandbox, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

        with Sandbox() as sandbox, sandbox.http_client() as http:
            client = QBankConnect(client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET,
                                  base_url=sandbox.base_url, http_client=http)
            client.accounts.list()
            print("imported before:", "opentelemetry" in sys.modules)

            from opentelemetry import trace
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
                InMemorySpanExporter,
            )
            client.accounts.list()  # the API imported, no provider: still off
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            trace.set_tracer_provider(provider)
            client.accounts.list()
            print("spans:", sorted(s.name for s in exporter.get_finished_spans()))
        """
    )
    assert out.splitlines() == [
        "imported before: False",
        "spans: ['GET /accounts', 'GET /accounts']",
    ]


def test_explicit_no_op_providers_stay_on_the_cheap_path() -> None:
    out = run(
        """
        from opentelemetry import metrics, trace
        from qbank_connect import _tracing

        trace.set_tracer_provider(trace.NoOpTracerProvider())
        metrics.set_meter_provider(metrics.NoOpMeterProvider())
        server = _tracing.server_of("https://api.qbankconnect.com/v1")
        print(_tracing.start_call("GET", "/accounts", server), _tracing._instruments.on)
        """
    )
    assert out == "None False"
