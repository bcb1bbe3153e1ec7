"""No secret leaks anywhere, across a whole end-to-end flow over a real socket.

Both clients, with DEBUG logging captured from every logger (the SDK's, httpx2's, httpcore's):
token fetches, retries after faults, a dropped connection, 401 refreshes, refused credentials,
named errors, pages, raw responses and webhooks (genuine, tampered, wrong secret). Then the client
secret (raw, form-encoded and inside the Basic header), every access token the sandbox issued
(captured from its token store), a pre-issued ``token=`` and the webhook secret are searched for
in every log record, every ``repr`` of what the flow touched (clients and their internals, errors
and their attributes, responses, raw responses, pages, models, events), every exception message
and every formatted traceback."""

from __future__ import annotations

import base64
import logging
import traceback
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

import anyio
import pytest

from qbank_connect import AsyncQBankConnect, QBankConnect
from qbank_connect.errors import QBankError
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_WEBHOOK_SECRET,
    Sandbox,
)
from qbank_connect.sandbox import _auth as sandbox_auth

pytestmark = pytest.mark.e2e

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ACH = {
    "source_account_id": ACCOUNT_OPERATING,
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "12.34",
    "effective_date": "2026-11-23",
}
WIRE = {
    "source_account_id": ACCOUNT_OPERATING,
    "amount": "999999999999.00",  # insufficient funds: a named 422
    "beneficiary": {
        "name": "Globex",
        "account_number": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    },
}


class Evidence:
    """Everything the flow produced that a user could print, log or send to an error tracker."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, what: str, obj: object) -> object:
        self.texts.append((what, repr(obj)))
        self.texts.append((what, str(obj)))
        attributes = getattr(obj, "__dict__", None)
        if attributes:
            self.texts.append((what + " attributes", repr(attributes)))
            for name, value in attributes.items():
                self.texts.append((f"{what}.{name}", repr(value)))
        if isinstance(obj, BaseException):
            self.texts.append((what + " traceback", "".join(traceback.format_exception(obj))))
        return obj

    def error(self, what: str, call: Any) -> QBankError:
        try:
            call()
        except QBankError as exc:
            self.add(what, exc)
            for name in ("response", "request", "headers", "body"):
                if getattr(exc, name, None) is not None:
                    self.add(f"{what}.{name}", getattr(exc, name))
            return exc
        raise AssertionError(f"{what}: no error")

    async def aerror(self, what: str, call: Any) -> QBankError:
        try:
            await call()
        except QBankError as exc:
            self.add(what, exc)
            for name in ("response", "request", "headers", "body"):
                if getattr(exc, name, None) is not None:
                    self.add(f"{what}.{name}", getattr(exc, name))
            return exc
        raise AssertionError(f"{what}: no error")


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every access token the sandbox issues during the test."""
    tokens: list[str] = []
    issue = sandbox_auth.TokenStore.issue

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = issue(self, *args, **kwargs)
        tokens.append(token.value)
        return token

    monkeypatch.setattr(sandbox_auth.TokenStore, "issue", recording)
    yield tokens


def sync_flow(sandbox: Sandbox, base_url: str, seen: Evidence, issued: list[str]) -> None:
    with QBankConnect(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        base_url=base_url,
        timeout=5,
        webhook_secret=DEMO_WEBHOOK_SECRET,
        max_retry_after=1,
    ) as client:
        seen.add("sync client", client)
        client.authenticate()
        seen.add("sync requester", client._requester)
        seen.add("sync tokens", client._requester.tokens)
        page = seen.add("sync page", client.accounts.list(limit=2))
        for account in page:  # type: ignore[attr-defined]
            seen.add("account", account)
        sandbox.faults.fail_next("createAchPayment", times=2, status=503, retry_after=0)
        raw = seen.add("sync raw", client.with_raw_response.payments.create_ach(request=ACH))
        seen.add("sync raw http", raw.http_response)  # type: ignore[attr-defined]
        payment = seen.add("sync payment", raw.parse())  # type: ignore[attr-defined]
        sandbox.faults.drop_after_commit("createAchPayment")
        seen.add("sync after drop", client.payments.create_ach(request=ACH))
        sandbox.expire_tokens()  # the cached token gets a 401: refreshed, replayed
        seen.add("sync balance", client.balances.get(ACCOUNT_OPERATING))
        seen.error("sync funds", lambda: client.payments.create_wire(request=WIRE))
        seen.error("sync not found", lambda: client.balances.get("acc_missing"))
        sandbox.faults.fail_next("createAchPayment", times=3, status=500)
        seen.error(
            "sync exhausted",
            lambda: client.with_options(max_retries=0).payments.create_ach(request=ACH),
        )
        sandbox.advance(minutes=15)  # the ACH batch runs: webhooks are emitted
        settled = seen.add("sync settled", client.payments.get(payment.id))  # type: ignore[attr-defined]
        assert settled.is_final  # type: ignore[attr-defined]
        for delivery in sandbox.webhook_outbox:
            seen.add("webhook event", client.webhooks.unwrap(delivery.body, delivery.headers))
            seen.error(
                "tampered webhook",
                lambda d=delivery: client.webhooks.unwrap(d.body + b" ", d.headers),
            )
        seen.add("webhooks", client.webhooks)

    # A pre-issued token that the server no longer accepts: a named 401, the token nowhere.
    static = issued[-1]
    sandbox.expire_tokens()
    with QBankConnect(token=static, base_url=base_url, timeout=5) as client:
        seen.add("static client", client)
        refused = seen.error("static 401", lambda: client.balances.get(ACCOUNT_OPERATING))
        # The control: the token really is close by (raw request headers), yet masked above.
        assert static in str(refused.response.request.headers.raw)  # type: ignore[attr-defined]
    # The real secret, but a scope the client does not have.
    with QBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, scopes=["no.such.scope"], timeout=5
    ) as client:
        seen.error("sync bad scope", client.authenticate)


async def async_flow(sandbox: Sandbox, base_url: str, seen: Evidence) -> None:
    async with AsyncQBankConnect(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        base_url=base_url,
        timeout=5,
        webhook_secret=DEMO_WEBHOOK_SECRET,
        max_retry_after=1,
    ) as client:
        seen.add("async client", client)
        page = seen.add(
            "async page", await client.transactions.list(account_id=ACCOUNT_OPERATING, limit=3)
        )
        seen.add("async next page", await page.get_next_page())  # type: ignore[attr-defined]
        sandbox.faults.fail_next("createTransfer", times=1, status=429, retry_after=0)
        raw = await client.with_raw_response.transfers.create(
            request={
                "source_account_id": ACCOUNT_OPERATING,
                "destination_account_id": "acc_payroll",
                "amount": "5.00",
            }
        )
        seen.add("async raw", raw)
        seen.add("async transfer", raw.parse())
        sandbox.expire_tokens()
        seen.add("async balance", await client.balances.get(ACCOUNT_OPERATING))
        await seen.aerror("async funds", lambda: client.payments.create_wire(request=WIRE))
        sandbox.faults.fail_next("createToken", times=3, status=503, retry_after=0)
        sandbox.expire_tokens()
        client._requester.tokens._token = None  # type: ignore[attr-defined]
        await seen.aerror("async token 503", lambda: client.balances.get(ACCOUNT_OPERATING))
    async with AsyncQBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET + "x", base_url=base_url, timeout=5
    ) as wrong:
        await seen.aerror("async invalid_client", wrong.authenticate)
    other = AsyncQBankConnect(token="unused", webhook_secret="whsec_some_other_secret")
    delivery = sandbox.webhook_outbox[0]
    seen.error(
        "wrong webhook secret", lambda: other.webhooks.unwrap(delivery.body, delivery.headers)
    )
    seen.error("no signature", lambda: other.webhooks.unwrap(delivery.body, {}))
    await other.aclose()


def test_no_secret_in_logs_reprs_messages_or_tracebacks(
    caplog: pytest.LogCaptureFixture, issued: list[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records
    seen = Evidence()
    with Sandbox(start=START) as sandbox, sandbox.serve() as server:
        sync_flow(sandbox, server.base_url, seen, issued)
        anyio.run(async_flow, sandbox, server.base_url, seen)
        assert sandbox.token_requests >= 6

    basic = base64.b64encode(
        f"{quote_plus(DEMO_CLIENT_ID)}:{quote_plus(DEMO_CLIENT_SECRET)}".encode()
    ).decode()
    secrets = {
        "client secret": DEMO_CLIENT_SECRET,
        "form-encoded secret": quote_plus(DEMO_CLIENT_SECRET),
        "basic credentials": basic,
        "webhook secret": DEMO_WEBHOOK_SECRET,
        **{f"access token {i}": token for i, token in enumerate(issued)},
    }
    assert len(issued) >= 4
    records = [
        (
            f"log {r.name}:{r.levelname}",
            r.getMessage() + (caplog.handler.format(r) if r.exc_info else ""),
        )
        for r in caplog.records
    ]
    assert any(r.name == "qbank_connect" for r in caplog.records)
    assert any(r.name.startswith(("httpx2", "httpcore")) for r in caplog.records)
    everything = seen.texts + records + [("log text", caplog.text)]
    assert len(seen.texts) > 100
    leaked = [
        f"{name} in {where}: {text[:200]!r}"
        for where, text in everything
        for name, secret in secrets.items()
        if secret in text
    ]
    assert leaked == []
