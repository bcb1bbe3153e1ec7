"""A scripted QBank API for unit tests: routes, canned answers in order, and a record of requests.

One object serves both clients: ``transport()`` for ``httpx2.Client`` and ``async_transport()`` for
``httpx2.AsyncClient`` (whose optional latency sleeps without blocking the event loop)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Union

import anyio
import httpx2

from qbank_connect import nacha

from .aiohttp_bridge import AIOHTTP, Bridge, session_to
from .legacy_http import LEGACY, legacy_async_client, legacy_client

# On the aiohttp backend the scripted API is served over a loopback socket (tests/aiohttp_bridge.py).
BASE_URL = "http://api.qbank.test/v1" if AIOHTTP else "https://api.qbank.test/v1"
CLIENT_ID = "client-123"
CLIENT_SECRET = "p@ss:w/rd+%=s3cr3t-VALUE"

Answer = Union[httpx2.Response, Exception, Callable[[httpx2.Request], httpx2.Response]]


def error(status: int, code: str, message: str = "failed", **headers: str) -> httpx2.Response:
    return httpx2.Response(
        status,
        json={"message": message, "error_code": code, "request_id": "req-err-1"},
        headers={"Request-Id": "req-err-1", **headers},
    )


def audit() -> dict[str, str]:
    return {"timestamp": "2026-11-21T10:15:30.123Z", "actor": CLIENT_ID, "request_id": "req-1"}


def payment_json(
    payment_id: str = "5f0c1d2e-1111-4111-8111-111111111111", **fields: Any
) -> dict[str, Any]:
    body = {
        "id": payment_id,
        "type": "ach",
        "status": "P_PENDING",
        "amount": "1000.50",
        "currency": "USD",
        "source_account_id": "acc_operating",
        "counterparty": {"name": "Acme Supplies", "routing_number": "021000021"},
        "effective_date": "2026-11-23",
        "created_at": "2026-11-21T10:15:30.123Z",
        "status_history": [{"status": "P_PENDING", "at": "2026-11-21T10:15:30.123Z"}],
        **audit(),
    }
    body.update(fields)
    return body


def balance_json(account_id: str = "acc_operating") -> dict[str, Any]:
    return {
        "account_id": account_id,
        "currency": "USD",
        "available": "125000.50",
        "ledger": "125100.00",
        "as_of": "2026-11-21T10:15:30.123Z",
        **audit(),
    }


class MockAPI:
    """Answers per (method, path); each route plays its answers in order, then repeats the last."""

    def __init__(self, *, token_ttl: int = 3600, latency: float = 0.0) -> None:
        self.token_ttl = token_ttl
        self.latency = latency
        self.token_latency = 0.0
        self.requests: list[httpx2.Request] = []
        self.bodies: list[bytes] = []
        self._routes: dict[tuple[str, str], list[Answer]] = {}
        self._played: dict[tuple[str, str], int] = {}
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self.token_answers: list[Answer] = []
        self._bridge: Bridge | None = None
        self._sessions: list[Any] = []

    # -- scripting --------------------------------------------------------------------------

    def route(self, method: str, path: str, *answers: Answer) -> MockAPI:
        self._routes[(method, path)] = list(answers)
        self._played[(method, path)] = 0
        return self

    def calls(self, method: str, path: str) -> list[httpx2.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == "/v1" + path]

    @property
    def token_requests(self) -> list[httpx2.Request]:
        return self.calls("POST", "/token")

    # -- serving -----------------------------------------------------------------------------

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            self.requests.append(request)
            self.bodies.append(request.read())
            path = request.url.path.removeprefix("/v1")
            key = (request.method, path)
            if key == ("POST", "/token") and key not in self._routes:
                if self.token_answers:
                    answer: Answer = self.token_answers.pop(0)
                else:
                    answer = httpx2.Response(
                        200,
                        json={
                            "access_token": f"tok-{next(self._tokens)}-SECRETTOKEN",
                            "token_type": "Bearer",
                            "expires_in": self.token_ttl,
                        },
                        headers={"Cache-Control": "no-store"},
                    )
            elif key in self._routes:
                answers = self._routes[key]
                index = min(self._played[key], len(answers) - 1)
                self._played[key] += 1
                answer = answers[index]
            else:
                answer = error(404, "ERR_TEST_404", f"no route for {request.method} {path}")
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        # A fresh copy each time: a Response can only be read once.
        return httpx2.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def _delay(self, request: httpx2.Request) -> float:
        return self.token_latency if request.url.path.endswith("/token") else self.latency

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        delay = self._delay(request)
        if delay:
            time.sleep(delay)
        return self._answer(request)

    async def handle_async(self, request: httpx2.Request) -> httpx2.Response:
        delay = self._delay(request)
        if delay:
            await anyio.sleep(delay)
        return self._answer(request)

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def async_transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle_async)

    def http_client(self) -> httpx2.Client:
        if LEGACY:
            return legacy_client(self.transport())  # type: ignore[no-any-return]
        return httpx2.Client(transport=self.transport())

    def async_http_client(self) -> httpx2.AsyncClient:
        if AIOHTTP:  # an aiohttp.ClientSession onto a loopback server answering as this API
            if self._bridge is None:
                self._bridge = Bridge(self.async_transport(), BASE_URL.removesuffix("/v1"))
            session = session_to(self._bridge, "api.qbank.test")
            self._sessions.append(session)
            return session  # type: ignore[no-any-return]
        if LEGACY:
            return legacy_async_client(self.async_transport())  # type: ignore[no-any-return]
        return httpx2.AsyncClient(transport=self.async_transport())

    async def aclose(self) -> None:
        """Close the aiohttp sessions handed out and stop the bridge (the aiohttp run only)."""
        for session in self._sessions:
            await session.close()
        if self._bridge is not None:
            self._bridge.stop()

    def close(self) -> None:
        """The blocking tests' twin of :meth:`aclose` (no sessions there)."""
        if self._bridge is not None:
            self._bridge.stop()


def json_body(request: httpx2.Request) -> Any:
    return json.loads(request.content)


def account_json(i: int = 1) -> dict[str, Any]:
    return {
        "id": f"acc_{i}",
        "name": f"Account {i}",
        "type": "checking",
        "currency": "USD",
        "status": "open",
        "account_number_last4": "1234",
        "routing_number": "021000021",
        **audit(),
    }


def ach_file_json(payment_ids: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": "achf_1",
        "file_name": "payroll.ach",
        "status": "VALIDATED",
        "entry_count": 2,
        "total_credit": "200.00",
        "total_debit": "0.00",
        "payment_ids": payment_ids or ["5f0c1d2e-1111-4111-8111-111111111111"],
        "received_at": "2026-11-21T10:15:30.123Z",
        **audit(),
    }


def check_issue_json() -> dict[str, Any]:
    return {
        "id": "chk_1",
        "account_id": "acc_operating",
        "check_number": "10042",
        "amount": "1250.00",
        "issue_date": "2026-11-20",
        "payee_name": "Acme",
        "void": False,
        "status": "RECEIVED",
        **audit(),
    }


def nacha_file(entries: int = 2) -> bytes:
    """A small valid NACHA file (built by the library's builder), the same bytes every call."""
    originator = nacha.Originator(
        immediate_destination="021000021",
        immediate_origin="1234567890",
        destination_name="QBANK",
        origin_name="ACME CORP",
        company_name="ACME CORP",
        company_id="1234567890",
        effective_date=date(2026, 11, 23),
    )
    items = [
        nacha.Entry(f"PAYEE {i}", "021000021", f"{1000 + i:08d}", "checking", Decimal("100.00"))
        for i in range(entries)
    ]
    return nacha.build_file(items, originator, created_at=datetime(2026, 11, 21, 14, 3))
