"""paymentStatusUpdate webhooks: the signed outbox and delivery with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest

from qbank_connect.sandbox import (
    ACH_RETURN_R01_ACCOUNT_NUMBER,
    DEMO_WEBHOOK_SECRET,
    Sandbox,
    WebhookDelivery,
)

from ._helpers import START, ach_body, get_token, new_key, transfer_body


def verify(delivery_headers: dict[str, str], body: bytes, secret: str) -> dict[str, Any]:
    """An independent verifier written from the spec, with the stdlib only."""
    event_id = delivery_headers["Webhook-Event-ID"]
    parts = dict(item.split("=", 1) for item in delivery_headers["Webhook-Signature"].split(","))
    timestamp = parts["t"]
    assert abs(int(timestamp) - time.time()) <= 300
    expected = hmac.new(
        secret.encode(), f"{timestamp}.{event_id}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    event: dict[str, Any] = json.loads(body)
    return event


def test_final_statuses_are_signed_into_the_outbox(inproc: httpx2.Client, sandbox: Sandbox) -> None:
    transfer = inproc.post(
        "/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()}
    ).json()
    recipient = dict(ach_body()["recipient_details"], account_number=ACH_RETURN_R01_ACCOUNT_NUMBER)
    ach = inproc.post(
        "/payments/ach",
        json=ach_body(recipient_details=recipient),
        headers={"Idempotency-Key": new_key()},
    ).json()
    outbox = sandbox.webhook_outbox
    assert [d.payment_id for d in outbox] == [transfer["id"]]  # ACH is not final yet
    sandbox.advance(minutes=15)
    outbox = sandbox.webhook_outbox
    assert [(d.payment_id, d.payment_status) for d in outbox] == [
        (transfer["id"], "P_COMPLETED"),
        (ach["id"], "P_FAILED"),
    ]
    for delivery in outbox:
        event = verify(delivery.headers, delivery.body, DEMO_WEBHOOK_SECRET)
        assert event["type"] == "paymentStatusUpdate"
        assert event["id"] == delivery.event_id
        assert event["data"]["payment"]["id"] == delivery.payment_id
        assert delivery.headers["Content-Type"] == "application/json"
        assert delivery.json() == event
    failed = outbox[1].json()["data"]["payment"]
    assert failed["failure_code"] == "R01"
    assert failed["status_history"][-1]["status"] == "P_FAILED"
    with pytest.raises(AssertionError):
        verify(outbox[0].headers, outbox[0].body + b" ", DEMO_WEBHOOK_SECRET)
    with pytest.raises(AssertionError):
        verify(outbox[0].headers, outbox[0].body, "whsec_other")


def test_custom_webhook_secret() -> None:
    with (
        Sandbox(start=START, webhook_secret="whsec_custom") as sandbox,
        sandbox.http_client() as http,
    ):
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()})
        delivery = sandbox.webhook_outbox[0]
        verify(delivery.headers, delivery.body, "whsec_custom")


class _Receiver:
    """A tiny stdlib webhook endpoint that fails its first ``failures`` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                status = 500 if len(receiver.received) <= receiver.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver(failures=2)
    yield r
    r.close()


def test_delivery_with_retries_until_200(receiver: _Receiver) -> None:
    with (
        Sandbox(start=START, webhook_url=receiver.url, webhook_backoff=0.01) as sandbox,
        sandbox.http_client() as http,
    ):
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        payment = http.post(
            "/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()}
        ).json()
        assert sandbox.wait_for_webhooks(timeout=5)
        delivery: WebhookDelivery = sandbox.webhook_outbox[0]
        assert delivery.delivered
        assert [a.status_code for a in delivery.attempts] == [500, 500, 200]
    assert len(receiver.received) == 3
    delivery_ids = set()
    for headers, body in receiver.received:
        event = verify(headers, body, DEMO_WEBHOOK_SECRET)
        assert event["id"] == delivery.event_id  # same event each attempt
        assert event["data"]["payment"]["id"] == payment["id"]
        delivery_ids.add(headers["Webhook-Event-ID"])
    assert len(delivery_ids) == 3  # a new Webhook-Event-ID per attempt


def test_delivery_gives_up_after_max_attempts() -> None:
    receiver = _Receiver(failures=100)
    try:
        with (
            Sandbox(
                start=START, webhook_url=receiver.url, webhook_backoff=0.01, webhook_max_attempts=3
            ) as sandbox,
            sandbox.http_client() as http,
        ):
            http.headers["Authorization"] = f"Bearer {get_token(http)}"
            http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()})
            assert sandbox.wait_for_webhooks(timeout=5)
            delivery = sandbox.webhook_outbox[0]
            assert delivery.gave_up and not delivery.delivered
            assert len(delivery.attempts) == 3
    finally:
        receiver.close()


def test_unreachable_url_is_retried_then_abandoned() -> None:
    with (
        Sandbox(
            start=START,
            webhook_url="http://127.0.0.1:9/none",
            webhook_backoff=0.01,
            webhook_max_attempts=2,
        ) as sandbox,
        sandbox.http_client() as http,
    ):
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()})
        assert sandbox.wait_for_webhooks(timeout=5)
        attempts = sandbox.webhook_outbox[0].attempts
        assert [a.status_code for a in attempts] == [None, None]
        assert all(a.error for a in attempts)
