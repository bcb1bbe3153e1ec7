"""Hooks: what they are told, when, what they can never reach, and a request hook's veto."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx2
import pytest

from qbank_connect import AsyncQBankConnect, CallInfo, QBankHookAbort
from qbank_connect.errors import (
    QBankConnectionError,
    QBankError,
    QBankUnprocessableEntityError,
)
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
)

from ..mock_api import CLIENT_SECRET, MockAPI, account_json, balance_json, error, payment_json
from ..reachable import reachable as _reachable
from ..reachable import texts as _texts
from .conftest import make_client

pytestmark = pytest.mark.anyio

ACH = {
    "source_account_id": "acc_operating",
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "987654321012",
        "account_type": "checking",
    },
    "amount": "1000.50",
    "effective_date": "2026-11-23",
}
TRANSFER = {
    "source_account_id": ACCOUNT_OPERATING,
    "destination_account_id": ACCOUNT_PAYROLL,
    "amount": "10.00",
}


class Recorder:
    """Hooks that record every CallInfo they get, by event."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, CallInfo]] = []

    def hook(self, event: str) -> Any:
        def record(info: CallInfo) -> None:
            self.seen.append((event, info))

        return record

    def hooks(self) -> dict[str, list[Any]]:
        return {event: [self.hook(event)] for event in ("request", "response", "error")}

    def events(self) -> list[tuple[Any, ...]]:
        return [
            (event, info.attempt, info.status, info.final, type(info.error).__name__)
            if event == "error"
            else (event, info.attempt, info.status)
            for event, info in self.seen
        ]


async def test_each_attempt_is_told_with_its_answer(api: MockAPI, sleeps: list[float]) -> None:
    api.route(
        "POST",
        "/payments/ach",
        error(503, "ERR_SYS_503"),
        httpx2.Response(202, json=payment_json(), headers={"Request-Id": "req-ok"}),
    )
    recorder = Recorder()
    client = make_client(api, hooks=recorder.hooks())
    await client.payments.create_ach(ACH, reference="invoice:7")
    assert recorder.events() == [
        ("request", 1, None),
        ("response", 1, 503),
        ("error", 1, 503, False, "QBankServiceUnavailableError"),
        ("request", 2, None),
        ("response", 2, 202),
    ]
    infos = [info for _, info in recorder.seen]
    key = api.calls("POST", "/payments/ach")[0].headers["idempotency-key"]
    assert {i.idempotency_key for i in infos} == {key}
    assert {i.operation for i in infos} == {"createAchPayment"}
    assert {(i.method, i.path, i.reference) for i in infos} == {
        ("POST", "/payments/ach", "invoice:7")
    }
    assert infos[-1].request_id == "req-ok" and infos[0].request_id is None
    assert infos[1].request_id == "req-err-1"
    assert all(b.elapsed >= a.elapsed >= 0 for a, b in itertools.pairwise(infos))


async def test_the_final_error_is_told_after_the_failed_attempt(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", error(422, "ERR_FUNDS_001", "insufficient funds"))
    recorder = Recorder()
    client = make_client(api, hooks=recorder.hooks())
    with pytest.raises(QBankUnprocessableEntityError) as caught:
        await client.payments.create_ach(ACH)
    assert recorder.events() == [
        ("request", 1, None),
        ("response", 1, 422),
        ("error", 1, 422, False, "QBankInsufficientFundsError"),
        ("error", 1, 422, True, "QBankInsufficientFundsError"),
    ]
    final = recorder.seen[-1][1]
    assert final.error is not caught.value  # a detached copy ...
    assert isinstance(final.error, QBankUnprocessableEntityError)
    assert final.error.error_code == "ERR_FUNDS_001"  # ... with what support needs
    assert final.error.idempotency_key == caught.value.idempotency_key
    assert caught.value.__traceback__ is not None  # the caller's exception is untouched
    assert caught.value.request is not None


async def test_no_answer_and_a_refused_token_are_failed_attempts(
    api: MockAPI, sleeps: list[float]
) -> None:
    api.route(
        "GET",
        "/balances/acc_operating",
        httpx2.ConnectError("connection refused"),
        error(401, "ERR_AUTH_001"),
        httpx2.Response(200, json=balance_json()),
    )
    recorder = Recorder()
    client = make_client(api, hooks=recorder.hooks())
    await client.balances.get("acc_operating")
    assert recorder.events() == [
        ("request", 1, None),
        ("error", 1, None, False, "QBankConnectionError"),
        ("request", 2, None),
        ("response", 2, 401),
        ("error", 2, 401, False, "QBankAuthenticationError"),
        ("request", 3, None),
        ("response", 3, 200),
    ]


async def test_async_hooks_and_plain_ones_run_in_order(api: MockAPI) -> None:
    api.route("GET", "/accounts/acc_1", httpx2.Response(200, json=account_json()))
    order: list[str] = []

    async def first(info: CallInfo) -> None:
        order.append(f"first:{info.operation}")

    def second(info: CallInfo) -> None:
        order.append(f"second:{info.status}")

    client = make_client(api, hooks={"request": [first, second], "response": [second]})
    await client.accounts.get("acc_1")
    assert order == ["first:getAccount", "second:None", "second:200"]


async def test_a_failing_hook_is_logged_once_and_the_payment_goes_on(
    api: MockAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.route("POST", "/payments/ach", httpx2.Response(202, json=payment_json()))

    def broken(info: CallInfo) -> None:
        raise RuntimeError("metrics backend down")

    def late_veto(info: CallInfo) -> None:
        raise QBankHookAbort("too late: the payment is made")

    client = make_client(api, hooks={"request": [broken], "response": [late_veto]})
    with caplog.at_level(logging.ERROR, logger="qbank_connect"):
        payment = await client.payments.create_ach(ACH)
    assert payment.id
    assert len(api.calls("POST", "/payments/ach")) == 1
    records = [r for r in caplog.records if "hook" in r.getMessage()]
    assert [r.getMessage().split()[0] for r in records] == ["request", "response"]
    assert records[0].exc_info is not None and "metrics backend down" in str(records[0].exc_info[1])


async def test_with_options_replaces_the_hooks(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    mine, theirs = Recorder(), Recorder()
    client = make_client(api, hooks=mine.hooks())
    other = client.with_options(hooks={"response": [theirs.hook("response")]})
    silent = client.with_options(hooks={}, max_retries=0)
    await other.balances.get("acc_operating")
    await silent.balances.get("acc_operating")
    await client.balances.get("acc_operating")
    assert theirs.events() == [("response", 1, 200)]
    assert mine.events() == [("request", 1, None), ("response", 1, 200)]
    assert client.with_options(timeout=3)._hooks is client._hooks  # kept unless given


async def test_hooks_see_a_generic_request_and_each_page(api: MockAPI) -> None:
    api.route("GET", "/beta/limits", httpx2.Response(200, json={"daily": "100.00"}))
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    api.route(
        "GET",
        "/accounts",
        httpx2.Response(
            200, json={"data": [account_json(1)], "has_more": True, "next_cursor": "c"}
        ),
        httpx2.Response(200, json={"data": [account_json(2)], "has_more": False}),
    )
    recorder = Recorder()
    client = make_client(api, hooks={"response": [recorder.hook("response")]})
    await client.request("GET", "/beta/limits")
    await client.request("GET", "/balances/acc_operating")
    assert [a.id async for a in client.accounts.list()] == ["acc_1", "acc_2"]
    assert [(i.operation, i.path) for _, i in recorder.seen] == [
        (None, "/beta/limits"),
        ("getBalance", "/balances/acc_operating"),
        ("listAccounts", "/accounts"),
        ("listAccounts", "/accounts"),
    ]


async def test_no_secret_token_or_account_number_is_reachable_from_a_call_info(
    api: MockAPI, sleeps: list[float]
) -> None:
    api.route(
        "POST",
        "/payments/ach",
        httpx2.ConnectError("reset"),
        error(401, "ERR_AUTH_001"),
        error(503, "ERR_SYS_503"),
        error(422, "ERR_FUNDS_001", "insufficient funds"),
    )
    recorder = Recorder()
    client = make_client(api, hooks=recorder.hooks(), max_retries=3)
    with pytest.raises(QBankError):
        await client.payments.create_ach(ACH)
    assert {event for event, _ in recorder.seen} == {"request", "response", "error"}
    assert any(isinstance(info.error, QBankConnectionError) for _, info in recorder.seen)
    # The walk itself finds secrets where they are: the caller's exception holds the request.
    sent = api.calls("POST", "/payments/ach")[-1]
    assert "SECRETTOKEN" in _texts(_reachable(sent))
    for _, info in recorder.seen:
        text = _texts(_reachable(info))
        assert "SECRETTOKEN" not in text  # the access token
        assert "Bearer" not in text and "Authorization" not in text.title()
        assert CLIENT_SECRET not in text
        assert "987654321012" not in text  # the recipient's account number


async def test_call_info_is_read_only(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    recorder = Recorder()
    client = make_client(api, hooks={"response": [recorder.hook("response")]})
    await client.balances.get("acc_operating")
    info = recorder.seen[0][1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.status = 500  # type: ignore[misc]
    assert not hasattr(info, "__dict__")


async def test_a_request_hook_vetoes_the_call_and_nothing_is_sent(tmp_path: Path) -> None:
    told: list[CallInfo] = []

    def veto(info: CallInfo) -> None:
        if info.operation == "createTransfer":
            raise QBankHookAbort(f"transfers are frozen ({info.reference})")

    with (
        Sandbox(start=datetime(2026, 11, 23, 9, tzinfo=timezone.utc)) as sandbox,
        sandbox.serve() as server,
    ):
        async with AsyncQBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=server.base_url,
            journal=f"sqlite:///{tmp_path / 'journal.db'}",
            hooks={"request": [veto], "error": [told.append]},
        ) as client:
            with pytest.raises(QBankHookAbort, match="frozen"):
                await client.transfers.create(TRANSFER, reference="sweep:1")
            with pytest.raises(QBankHookAbort):
                await client.request("POST", "/transfers", json=TRANSFER)
            assert sandbox.requests == 0  # not even a token request
            # The journal holds nothing: recover() can never send the vetoed transfer later.
            assert client.journal is not None
            assert await client.journal.get("createTransfer", "sweep:1") is None
            assert await client.recover() == []
            assert [(i.final, type(i.error).__name__) for i in told] == [
                (True, "QBankHookAbort"),
                (True, "QBankHookAbort"),
            ]
            await client.balances.get(ACCOUNT_OPERATING)  # other calls go through
            assert sandbox.requests == 2  # the token, then the balance


async def test_a_veto_on_a_retry_stops_the_retries(api: MockAPI, sleeps: list[float]) -> None:
    api.route("POST", "/payments/ach", error(503, "ERR_SYS_503"))

    def only_once(info: CallInfo) -> None:
        if info.attempt > 1:
            raise QBankHookAbort("no retries for this one")

    client = make_client(api, hooks={"request": [only_once]}, max_retries=5)
    with pytest.raises(QBankHookAbort):
        await client.payments.create_ach(ACH)
    assert len(api.calls("POST", "/payments/ach")) == 1
