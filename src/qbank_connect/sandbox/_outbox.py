"""The webhook outbox: every ``paymentStatusUpdate`` event the sandbox emits, signed, and (when
a URL is configured) delivered by a background thread with bounded retries and backoff."""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx2

from ._clock import format_datetime

__all__ = ["Outbox", "WebhookAttempt", "WebhookDelivery"]


def _sign(body: bytes, secret: str, delivery_id: str) -> str:
    # Imported on use: the signing helper lives in the SDK's public webhooks module.
    from qbank_connect.webhooks import sign

    return sign(body, secret, delivery_id, int(time.time()))


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST of an event: its own ``Webhook-Event-ID`` and signature, and how it went."""

    delivery_id: str
    headers: dict[str, str]
    at: datetime
    status_code: int | None
    error: str | None = None


@dataclass
class WebhookDelivery:
    """A signed event in the outbox.

    ``body`` is the exact bytes sent; ``headers`` are those of the first signing
    (``Webhook-Event-ID``, ``Webhook-Signature``, ``Content-Type``); each delivery attempt
    to ``webhook_url`` is in ``attempts`` with fresh headers.

    Example::

        delivery = sandbox.webhook_outbox[-1]
        event = delivery.json()
        assert event["data"]["payment"]["status"] == "P_COMPLETED"
    """

    event_id: str
    event_type: str
    payment_id: str
    payment_status: str
    body: bytes
    headers: dict[str, str]
    created_at: datetime
    attempts: list[WebhookAttempt] = field(default_factory=list[WebhookAttempt])
    delivered: bool = False
    gave_up: bool = False

    @property
    def delivery_id(self) -> str:
        """The ``Webhook-Event-ID`` of the first signing."""
        return self.headers["Webhook-Event-ID"]

    def json(self) -> Any:
        """The event, parsed."""
        return json.loads(self.body)


class Outbox:
    """Records events; delivers them when ``url`` is set. Call :meth:`close` when done."""

    def __init__(
        self, secret: str, url: str | None, *, max_attempts: int = 5, backoff: float = 0.2
    ) -> None:
        self.secret = secret
        self.url = url
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._deliveries: list[WebhookDelivery] = []
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, WebhookDelivery]] = []
        self._counter = itertools.count()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    def _headers(self, body: bytes) -> dict[str, str]:
        delivery_id = str(uuid.uuid4())
        return {
            "Content-Type": "application/json",
            "Webhook-Event-ID": delivery_id,
            "Webhook-Signature": _sign(body, self.secret, delivery_id),
        }

    def record(self, payment: dict[str, Any], now: datetime) -> WebhookDelivery:
        """Add a ``paymentStatusUpdate`` event for ``payment`` (its JSON form)."""
        event_id = f"evt_{uuid.uuid4().hex}"
        event = {
            "id": event_id,
            "type": "paymentStatusUpdate",
            "created_at": format_datetime(now),
            "data": {"payment": payment},
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        delivery = WebhookDelivery(
            event_id=event_id,
            event_type="paymentStatusUpdate",
            payment_id=payment["id"],
            payment_status=payment["status"],
            body=body,
            headers=self._headers(body),
            created_at=now,
        )
        with self._cond:
            self._deliveries.append(delivery)
            if self.url is not None and not self._closed:
                self._pending += 1
                heapq.heappush(self._queue, (time.monotonic(), next(self._counter), delivery))
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="qbank-sandbox-webhooks", daemon=True
                    )
                    self._thread.start()
                self._cond.notify_all()
        return delivery

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        with self._cond:
            return list(self._deliveries)

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every queued delivery succeeded or gave up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        """Stop delivering (pending retries are abandoned) and join the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=15)

    def _run(self) -> None:
        client = httpx2.Client(timeout=10.0)
        with client:
            while True:
                with self._cond:
                    while not self._closed and (
                        not self._queue or self._queue[0][0] > time.monotonic()
                    ):
                        wait = self._queue[0][0] - time.monotonic() if self._queue else None
                        self._cond.wait(wait)
                    if self._closed:
                        self._pending = 0
                        self._cond.notify_all()
                        return
                    _, _, delivery = heapq.heappop(self._queue)
                self._attempt(client, delivery)

    def _attempt(self, client: httpx2.Client, delivery: WebhookDelivery) -> None:
        assert self.url is not None
        headers = delivery.headers if not delivery.attempts else self._headers(delivery.body)
        status: int | None = None
        error: str | None = None
        try:
            response = client.post(self.url, content=delivery.body, headers=headers)
            status = response.status_code
        except httpx2.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempt = WebhookAttempt(
            delivery_id=headers["Webhook-Event-ID"],
            headers=headers,
            at=datetime.now(timezone.utc),
            status_code=status,
            error=error,
        )
        with self._cond:
            delivery.attempts.append(attempt)
            if status == 200:
                delivery.delivered = True
            elif len(delivery.attempts) < self.max_attempts:
                delay = min(self.backoff * 2 ** (len(delivery.attempts) - 1), 30.0)
                heapq.heappush(
                    self._queue, (time.monotonic() + delay, next(self._counter), delivery)
                )
                self._cond.notify_all()
                return
            else:
                delivery.gave_up = True
            self._pending -= 1
            self._cond.notify_all()
