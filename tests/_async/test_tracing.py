"""OpenTelemetry: the SDK's spans and histogram, through the real client and the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from qbank_connect import AsyncQBankConnect
from qbank_connect._tracing import DURATION_BUCKETS
from qbank_connect.errors import (
    QBankNotFoundError,
    QBankServiceUnavailableError,
    QBankTokenError,
)
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
)

from ..aiohttp_bridge import async_backend_options, async_sandbox_http, transport_error
from ..raw_server import RawServer, http_response
from ..telemetry import Telemetry, attrs

pytestmark = pytest.mark.anyio

KEY = "9d3c2b1a-5e4f-4a6b-8c7d-0e1f2a3b4c5d"
ACH = {
    "source_account_id": ACCOUNT_OPERATING,
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "1250.00",
    "effective_date": "2026-11-23",
}


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    with Telemetry() as telemetry:
        yield telemetry


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[AsyncQBankConnect]:
    async with (
        async_sandbox_http(sandbox) as (base_url, http),
        AsyncQBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=base_url,
            http_client=http,
        ) as client,
    ):
        yield client


async def test_a_get_is_a_call_span_over_its_attempts_and_the_token_request(
    otel: Telemetry, client: AsyncQBankConnect
) -> None:
    balance = await client.balances.get(ACCOUNT_OPERATING)

    (call,) = otel.calls()
    token, attempt = otel.attempts()
    assert (call.name, call.kind) == ("GET /balances/{account_id}", SpanKind.INTERNAL)
    assert attrs(call) == {
        "http.request.method": "GET",
        "server.address": "sandbox.qbank.local",
        "server.port": 80,
        "url.template": "/balances/{account_id}",
        "qbank.operation": "getBalance",
        "http.response.status_code": 200,
        "qbank.request_id": balance.request_id,
    }
    assert call.parent is None and call.status.status_code is StatusCode.UNSET

    assert (attempt.name, attempt.kind) == ("GET /balances/{account_id}", SpanKind.CLIENT)
    assert attrs(attempt) == {
        "http.request.method": "GET",
        "server.address": "sandbox.qbank.local",
        "server.port": 80,
        "url.scheme": "http",
        "url.template": "/balances/{account_id}",
        "qbank.operation": "getBalance",
        "http.response.status_code": 200,
        "qbank.request_id": balance.request_id,
    }
    # The token the call had to fetch first is an attempt of its own, under the call.
    assert (token.name, token.kind) == ("POST /token", SpanKind.CLIENT)
    assert attrs(token)["qbank.operation"] == "createToken"
    assert attrs(token)["http.response.status_code"] == 200
    for child in (token, attempt):
        assert child.parent is not None and child.parent.span_id == call.context.span_id
        assert child.context.trace_id == call.context.trace_id

    # The next call has its token: one attempt.
    otel.clear()
    await client.balances.get(ACCOUNT_OPERATING)
    assert [(s.name, s.kind) for s in otel.spans()] == [
        ("GET /balances/{account_id}", SpanKind.INTERNAL),
        ("GET /balances/{account_id}", SpanKind.CLIENT),
    ]


async def test_a_payment_carries_its_idempotency_key(
    otel: Telemetry, client: AsyncQBankConnect
) -> None:
    payment = await client.payments.create_ach(request=ACH, idempotency_key=KEY)
    (call,) = otel.calls()
    _, attempt = otel.attempts()
    for span in (attempt, call):
        assert span.name == "POST /payments/ach"
        assert attrs(span)["qbank.operation"] == "createAchPayment"
        assert attrs(span)["qbank.idempotency_key"] == KEY
        assert attrs(span)["http.response.status_code"] == 202
        assert attrs(span)["qbank.request_id"] == payment.request_id


async def test_each_retry_is_an_attempt_with_its_resend_count(
    otel: Telemetry, sandbox: Sandbox, client: AsyncQBankConnect, sleeps: list[float]
) -> None:
    await client.balances.get(ACCOUNT_OPERATING)  # the token
    otel.clear()
    sandbox.faults.fail_next("createAchPayment", times=2, status=503, retry_after=0)
    await client.payments.create_ach(request=ACH, idempotency_key=KEY)

    (call,) = otel.calls()
    attempts = otel.attempts()
    assert [attrs(a).get("http.request.resend_count") for a in attempts] == [None, 1, 2]
    assert [attrs(a)["http.response.status_code"] for a in attempts] == [503, 503, 202]
    assert [attrs(a).get("error.type") for a in attempts] == ["503", "503", None]
    assert [a.status.status_code for a in attempts] == [
        StatusCode.ERROR,
        StatusCode.ERROR,
        StatusCode.UNSET,
    ]
    assert {attrs(a)["qbank.idempotency_key"] for a in attempts} == {KEY}
    assert call.status.status_code is StatusCode.UNSET and "error.type" not in attrs(call)
    assert attrs(call)["http.response.status_code"] == 202
    assert len(sleeps) == 2


async def test_the_replay_after_a_401_is_an_attempt_after_a_new_token(
    otel: Telemetry, sandbox: Sandbox, client: AsyncQBankConnect
) -> None:
    await client.balances.get(ACCOUNT_OPERATING)
    sandbox.expire_tokens()
    otel.clear()
    await client.balances.get(ACCOUNT_OPERATING)

    (call,) = otel.calls()
    refused, token, replay = otel.attempts()
    assert attrs(refused)["http.response.status_code"] == 401
    assert attrs(refused)["error.type"] == "401" and "http.request.resend_count" not in attrs(
        refused
    )
    assert token.name == "POST /token" and "http.request.resend_count" not in attrs(token)
    assert attrs(replay)["http.request.resend_count"] == 1
    assert attrs(replay)["http.response.status_code"] == 200
    assert {s.parent.span_id for s in (refused, token, replay) if s.parent} == {
        call.context.span_id
    }
    assert call.status.status_code is StatusCode.UNSET


async def test_an_api_error_names_its_status_and_its_exception(
    otel: Telemetry, client: AsyncQBankConnect
) -> None:
    with pytest.raises(QBankNotFoundError):
        await client.accounts.get("acc_missing")

    (call,) = otel.calls()
    _, attempt = otel.attempts()
    assert attrs(attempt)["error.type"] == "404" and attempt.status.status_code is StatusCode.ERROR
    assert attrs(call)["error.type"] == "qbank_connect.errors.QBankNotFoundError"
    assert attrs(call)["http.response.status_code"] == 404
    assert call.status.status_code is StatusCode.ERROR and call.status.description is None
    assert call.name == "GET /accounts/{account_id}" and not call.events
    # The histogram has one point per attempt, the error kept apart.
    points = {(p.attributes or {}).get("url.template"): p for p in otel.duration_points()}
    assert points["/accounts/{account_id}"].count == 1
    assert dict(points["/accounts/{account_id}"].attributes or {})["error.type"] == "404"


async def test_a_connection_lost_before_the_answer_names_the_transport_error(
    otel: Telemetry, sandbox: Sandbox, client: AsyncQBankConnect, sleeps: list[float]
) -> None:
    await client.balances.get(ACCOUNT_OPERATING)
    otel.clear()
    sandbox.faults.drop_after_commit("createAchPayment")
    await client.payments.create_ach(request=ACH, idempotency_key=KEY)

    (call,) = otel.calls()
    dropped, replayed = otel.attempts()
    assert attrs(dropped)["error.type"] == transport_error(
        "httpx2.RemoteProtocolError", "aiohttp.client_exceptions.ServerDisconnectedError"
    )
    assert "http.response.status_code" not in attrs(dropped)
    assert attrs(replayed)["http.request.resend_count"] == 1
    assert attrs(replayed)["http.response.status_code"] == 202
    assert "error.type" not in attrs(call)


async def test_a_failed_token_request_fails_the_call_span(
    otel: Telemetry, sandbox: Sandbox
) -> None:
    async with (
        async_sandbox_http(sandbox) as (base_url, http),
        AsyncQBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret="not-the-secret",
            base_url=base_url,
            http_client=http,
        ) as client,
    ):
        with pytest.raises(QBankTokenError):
            await client.balances.get(ACCOUNT_OPERATING)

    (call,) = otel.calls()
    (token,) = otel.attempts()
    assert token.name == "POST /token" and attrs(token)["error.type"] == "401"
    assert attrs(call)["error.type"] == "qbank_connect.errors.QBankTokenError"
    assert "http.response.status_code" not in attrs(call)  # no attempt of its own was sent


async def test_the_call_span_is_a_child_of_the_applications_span(
    otel: Telemetry, client: AsyncQBankConnect
) -> None:
    tracer = otel.tracer_provider.get_tracer("treasury-app")
    with tracer.start_as_current_span("pay suppliers") as outer:
        await client.balances.get(ACCOUNT_OPERATING)
    app, call = otel.calls()
    assert app.name == "pay suppliers" and app.context.span_id == outer.get_span_context().span_id
    assert call.name == "GET /balances/{account_id}"
    assert call.parent is not None and call.parent.span_id == app.context.span_id


async def test_the_duration_histogram_has_a_point_per_attempt_and_no_ids(
    otel: Telemetry, sandbox: Sandbox, client: AsyncQBankConnect, sleeps: list[float]
) -> None:
    sandbox.faults.fail_next("getBalance", times=1, status=503, retry_after=0)
    await client.balances.get(ACCOUNT_OPERATING)
    await client.payments.create_ach(request=ACH, idempotency_key=KEY)

    by_key = {
        (dict(p.attributes or {})["url.template"], dict(p.attributes or {}).get("error.type")): p
        for p in otel.duration_points()
    }
    assert {key: p.count for key, p in by_key.items()} == {
        ("/token", None): 1,
        ("/balances/{account_id}", "503"): 1,
        ("/balances/{account_id}", None): 1,
        ("/payments/ach", None): 1,
    }
    point = by_key[("/payments/ach", None)]
    assert tuple(point.explicit_bounds) == DURATION_BUCKETS
    assert dict(point.attributes or {}) == {
        "http.request.method": "POST",
        "server.address": "sandbox.qbank.local",
        "server.port": 80,
        "url.scheme": "http",
        "url.template": "/payments/ach",
        "http.response.status_code": 202,
    }


async def test_no_secret_token_header_or_body_is_recorded(
    otel: Telemetry, sandbox: Sandbox, client: AsyncQBankConnect, sleeps: list[float]
) -> None:
    await client.balances.get(ACCOUNT_OPERATING)
    sandbox.expire_tokens()
    sandbox.faults.fail_next("createAchPayment", times=1, status=429, retry_after=0)
    await client.payments.create_ach(request=ACH, idempotency_key=KEY)
    with pytest.raises(QBankNotFoundError):
        await client.accounts.get("acc_missing")
    token = client._requester.tokens._token  # type: ignore[attr-defined]
    assert token is not None

    secrets = [
        DEMO_CLIENT_SECRET,
        token.authorization,
        token.authorization.removeprefix("Bearer "),
        "Bearer",
        "Basic",
        ACH["recipient_details"]["account_number"],  # type: ignore[index]
        "Acme Supplies",  # from the body
        "acc_missing",  # ids stay out: url.template, never the URL
        "not found",  # the error response's message
    ]
    recorded = list(otel.everything_recorded())
    assert len(recorded) > 50
    for key, value in recorded:
        assert not key.startswith(("http.request.header", "http.response.header"))
        for secret in secrets:
            assert secret.lower() not in str(value).lower(), (key, secret)


async def test_the_trace_context_arrives_at_the_server(
    otel: Telemetry, sleeps: list[float]
) -> None:
    body = json.dumps({"message": "no", "error_code": "ERR_X", "request_id": "req_raw"}).encode()
    with RawServer() as server:
        server.answer = http_response(
            "503 Service Unavailable",
            body,
            {"Content-Type": "application/json", "Retry-After": "0", "Request-Id": "req_raw"},
        )
        async with AsyncQBankConnect(
            token="static-token",
            base_url=server.base_url,
            max_retries=1,
            **async_backend_options(),
        ) as client:
            with pytest.raises(QBankServiceUnavailableError):
                await client.balances.get(ACCOUNT_OPERATING)
        sent = list(server.requests)

    attempts = otel.attempts()
    assert len(sent) == len(attempts) == 2
    for raw, attempt in zip(sent, attempts, strict=True):
        headers = dict(
            line.split(": ", 1) for line in raw.split(b"\r\n\r\n")[0].decode().split("\r\n")[1:]
        )
        lowered = {name.lower(): value for name, value in headers.items()}
        context = attempt.context
        assert lowered["traceparent"] == (
            f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
        )
        assert attrs(attempt)["qbank.request_id"] == "req_raw"
        assert attrs(attempt)["server.port"] == server.port


async def test_without_providers_nothing_is_recorded_and_no_header_is_added(
    sandbox: Sandbox,
) -> None:
    seen: list[str | None] = []

    async def record(request: httpx2.Request) -> None:
        seen.append(request.headers.get("traceparent"))

    async with (
        sandbox.async_http_client(event_hooks={"request": [record]}) as http,
        (
            AsyncQBankConnect(
                client_id=DEMO_CLIENT_ID,
                client_secret=DEMO_CLIENT_SECRET,
                base_url=sandbox.base_url,
                http_client=http,
            )
        ) as client,
    ):
        await client.balances.get(ACCOUNT_OPERATING)
    assert seen == [None, None]


async def test_a_legacy_httpx_client_is_traced_the_same(otel: Telemetry, sandbox: Sandbox) -> None:
    httpx = pytest.importorskip("httpx")
    with sandbox.serve() as server:
        async with (
            httpx.AsyncClient() as http,
            AsyncQBankConnect(
                client_id=DEMO_CLIENT_ID,
                client_secret=DEMO_CLIENT_SECRET,
                base_url=server.base_url,
                http_client=http,
            ) as client,
        ):
            balance = await client.balances.get(ACCOUNT_OPERATING)

    (call,) = otel.calls()
    token, attempt = otel.attempts()
    assert token.name == "POST /token" and attempt.name == "GET /balances/{account_id}"
    assert attrs(attempt)["server.address"] == "127.0.0.1"
    assert attrs(attempt)["http.response.status_code"] == 200
    assert attrs(call)["qbank.request_id"] == balance.request_id
