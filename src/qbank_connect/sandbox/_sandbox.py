"""The public :class:`Sandbox` facade."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx2

from .._closing import Closing
from ._app import App, run_blocking
from ._auth import (
    ALL_SCOPES,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    SandboxClient,
    TokenStore,
)
from ._bank import Bank
from ._clock import Clock
from ._faults import Faults
from ._http import Request, Response
from ._outbox import Outbox, WebhookDelivery
from ._records import Payment, money
from ._server import SandboxServer
from ._transport import AsyncSandboxTransport, SandboxTransport

__all__ = [
    "DEFAULT_BASE_URL",
    "DEMO_READONLY_CLIENT_ID",
    "DEMO_READONLY_CLIENT_SECRET",
    "DEMO_WEBHOOK_SECRET",
    "LedgerEntry",
    "Sandbox",
]

DEFAULT_BASE_URL = "http://sandbox.qbank.local/v1"
DEMO_WEBHOOK_SECRET = "whsec_sandbox_demo"
DEMO_READONLY_CLIENT_ID = "demo-readonly"
DEMO_READONLY_CLIENT_SECRET = "demo-readonly-s3cret"
_READ_SCOPES = tuple(s for s in ALL_SCOPES if s.endswith(".read"))


@dataclass(frozen=True)
class LedgerEntry:
    """One payment as the sandbox's books see it (for assertions in tests)."""

    payment_id: str
    client_id: str
    idempotency_key: str | None
    type: str
    status: str
    amount: str
    source_account_id: str
    ach_file_id: str | None


class Sandbox(Closing):
    """An embedded, stateful QBank Connect API: no network, no credentials.

    Example::

        from qbank_connect.sandbox import Sandbox, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

        with Sandbox(start=datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)) as sandbox:
            with sandbox.http_client() as http:
                token = http.post("/token", data={"grant_type": "client_credentials"},
                                  auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)).json()
            sandbox.advance(minutes=15)   # runs the ACH batch
            with sandbox.serve(port=0) as server:
                print(server.base_url)    # http://127.0.0.1:PORT/v1

    ``clients`` defaults to the demo client (every scope) and a read-only demo client.
    A ``start`` freezes the clock there (it moves only with :meth:`advance`); without it the
    clock follows real UTC time. Answers carry a ``Date`` header (the sandbox clock's) when the
    clock ticks, or when ``date_header=True``: a frozen clock days in the past would look like
    a badly skewed bank to the payment journal (which then refuses to resend). ``seed`` makes the seeded data and ids deterministic.
    """

    def __init__(
        self,
        clients: Iterable[SandboxClient] | None = None,
        token_ttl: int = 3600,
        webhook_secret: str = DEMO_WEBHOOK_SECRET,
        webhook_url: str | None = None,
        start: datetime | None = None,
        seed: int = 0,
        *,
        base_url: str = DEFAULT_BASE_URL,
        ticking: bool | None = None,
        webhook_max_attempts: int = 5,
        webhook_backoff: float = 0.2,
        date_header: bool | None = None,
    ) -> None:
        if clients is None:
            clients = (
                SandboxClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ALL_SCOPES),
                SandboxClient(DEMO_READONLY_CLIENT_ID, DEMO_READONLY_CLIENT_SECRET, _READ_SCOPES),
            )
        self.base_url = base_url.rstrip("/")
        self.clock = Clock(start, ticking=ticking)
        self._lock = threading.RLock()
        self.faults = Faults()
        """Fault injection; see :class:`~qbank_connect.sandbox.Faults`."""
        self._outbox = Outbox(
            webhook_secret, webhook_url, max_attempts=webhook_max_attempts, backoff=webhook_backoff
        )
        self._bank = Bank(seed, self.clock.now(), self._on_final)
        self._app = App(
            clients={client.client_id: client for client in clients},
            clock=self.clock,
            bank=self._bank,
            tokens=TokenStore(token_ttl),
            faults=self.faults,
            lock=self._lock,
            base_path=urlsplit(self.base_url).path or "/",
            date_header=self.clock.ticking if date_header is None else date_header,
        )
        self._servers: list[SandboxServer] = []

    def _on_final(self, payment: Payment) -> None:
        self._outbox.record(payment.json(), payment.updated_at or self.clock.now())

    # clock ---------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The sandbox clock (UTC)."""
        return self.clock.now()

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        """Move the clock forward and run what became due (ACH batches, slow wires).

        Example::

            sandbox.advance(minutes=15)   # every pending ACH payment settles
        """
        moment = self.clock.advance(
            timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        )
        self._app.tick()
        return moment

    def tick(self) -> int:
        """Run what the clock made due; returns how many payments settled."""
        return self._app.tick()

    # auth ----------------------------------------------------------------------------------
    def expire_tokens(self) -> int:
        """Revoke every issued token (the next call with one gets 401); returns how many."""
        with self._lock:
            return self._app.tokens.revoke_all()

    @property
    def token_requests(self) -> int:
        """How many ``POST /token`` requests arrived (successful or not)."""
        with self._lock:
            return self._app.token_requests

    # inspection ----------------------------------------------------------------------------
    @property
    def webhook_outbox(self) -> list[WebhookDelivery]:
        """Every webhook event emitted so far, oldest first (a snapshot)."""
        return self._outbox.deliveries

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every delivery to ``webhook_url`` succeeded or gave up."""
        return self._outbox.wait(timeout)

    def ledger(self) -> list[LedgerEntry]:
        """Every payment, oldest first.

        Example::

            assert len([e for e in sandbox.ledger() if e.idempotency_key == key]) == 1
        """
        with self._lock:
            payments = sorted(self._bank.payments.values(), key=lambda p: p.seq)
            return [
                LedgerEntry(
                    p.id,
                    p.client_id,
                    p.idempotency_key,
                    p.type,
                    p.status,
                    money(p.amount),
                    p.source_account_id,
                    p.ach_file_id,
                )
                for p in payments
            ]

    def payments_by_key(self) -> dict[str, list[str]]:
        """Payment ids by the idempotency key that created them."""
        result: dict[str, list[str]] = {}
        for entry in self.ledger():
            if entry.idempotency_key is not None:
                result.setdefault(entry.idempotency_key, []).append(entry.payment_id)
        return result

    def in_flight_keys(self) -> list[str]:
        """Idempotency keys whose first request is still executing (a duplicate gets 409)."""
        with self._lock:
            return [e.key for e in self._app.idempotency.entries() if e.response is None]

    def payment(self, payment_id: str) -> dict[str, Any]:
        """A payment's JSON form (``KeyError`` if unknown)."""
        with self._lock:
            return self._bank.payments[payment_id].json()

    def balances(self) -> dict[str, dict[str, str]]:
        """``{account_id: {"available": "...", "ledger": "..."}}``."""
        with self._lock:
            return {
                acc.id: {"available": money(acc.available), "ledger": money(acc.ledger)}
                for acc in self._bank.accounts.values()
            }

    # running it ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response | None:
        """Serve one request synchronously (None: the connection is dropped)."""
        return run_blocking(self._app.exchange(request)).response

    def transport(self) -> SandboxTransport:
        """An ``httpx2.BaseTransport`` answering in process."""
        return SandboxTransport(self._app)

    def async_transport(self) -> AsyncSandboxTransport:
        """An ``httpx2.AsyncBaseTransport`` answering in process (asyncio or trio)."""
        return AsyncSandboxTransport(self._app)

    def http_client(self, **kwargs: Any) -> httpx2.Client:
        """``httpx2.Client(transport=self.transport(), base_url=self.base_url, **kwargs)``."""
        return httpx2.Client(transport=self.transport(), base_url=self.base_url, **kwargs)

    def async_http_client(self, **kwargs: Any) -> httpx2.AsyncClient:
        """``httpx2.AsyncClient`` over :meth:`async_transport`, with ``base_url``."""
        return httpx2.AsyncClient(
            transport=self.async_transport(), base_url=self.base_url, **kwargs
        )

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
        """Serve over a real socket (``port=0``: any free port); close it or use ``with``."""
        server = SandboxServer(self._app, host, port)
        self._servers.append(server)
        return server

    def close(self) -> None:
        """Stop servers and webhook delivery."""
        for server in self._servers:
            server.close()
        self._servers.clear()
        self._outbox.close()
