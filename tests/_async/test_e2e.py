"""End to end: the SDK against the embedded sandbox, in process and over a real loopback socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from qbank_connect import AsyncQBankConnect
from qbank_connect.errors import (
    QBankIdempotencyConflict,
    QBankIdempotencyKeyReuseError,
    QBankInsufficientFundsError,
    QBankNotFoundError,
    QBankPermissionDeniedError,
    QBankTokenError,
)
from qbank_connect.models import PaymentStatus
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    ACH_RETURN_R01_ACCOUNT_NUMBER,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_READONLY_CLIENT_ID,
    DEMO_READONLY_CLIENT_SECRET,
    DEMO_WEBHOOK_SECRET,
    NachaEntry,
    Sandbox,
    build_ach_file,
)

from ..aiohttp_bridge import AIOHTTP, async_backend_options
from ..concurrency import gather_async
from ..legacy_http import LEGACY, legacy_async_client

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
KEY = "3f2b8c1e-6a4d-4e5f-9a7b-1c2d3e4f5a6b"


def ach(amount: str = "1250.00", account_number: str = "123456789") -> dict[str, object]:
    return {
        "source_account_id": ACCOUNT_OPERATING,
        "recipient_details": {
            "name": "Acme Supplies",
            "routing_number": "021000021",
            "account_number": account_number,
            "account_type": "checking",
        },
        "amount": amount,
        "effective_date": "2026-11-23",
    }


WIRE = {
    "source_account_id": ACCOUNT_OPERATING,
    "amount": "2500.00",
    "currency": "USD",
    "beneficiary": {
        "name": "Globex GmbH",
        "account_number": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    },
}


class Bank:
    def __init__(self, sandbox: Sandbox, base_url: str, http: object, **options: object) -> None:
        self.sandbox = sandbox
        self.base_url = base_url
        self.http = http
        self.options = options

    def client(self, **options: object) -> AsyncQBankConnect:
        options.setdefault("client_id", DEMO_CLIENT_ID)
        options.setdefault("client_secret", DEMO_CLIENT_SECRET)
        options = {**self.options, **options}
        return AsyncQBankConnect(  # type: ignore[arg-type]
            base_url=self.base_url,
            http_client=self.http,
            webhook_secret=DEMO_WEBHOOK_SECRET,
            **options,
        )


@pytest.fixture(params=["in_process", "socket"])
async def bank(request: pytest.FixtureRequest) -> AsyncIterator[Bank]:
    with Sandbox(start=START) as sandbox:
        if AIOHTTP:
            # aiohttp has no in-process transport: "in_process" is a session of the test's own,
            # "socket" the SDK's own session (http_backend="aiohttp").
            import aiohttp

            with sandbox.serve() as server:
                if request.param == "socket":
                    yield Bank(sandbox, server.base_url, None, **async_backend_options())
                else:
                    async with aiohttp.ClientSession() as session:
                        yield Bank(sandbox, server.base_url, session)
        elif request.param == "socket":
            with sandbox.serve() as server:
                # Over the socket the SDK uses its own connection pool, as it would in production
                # (or, in the legacy-httpx run, a plain httpx.AsyncClient).
                if LEGACY:
                    async with legacy_async_client() as http:
                        yield Bank(sandbox, server.base_url, http)
                else:
                    yield Bank(sandbox, server.base_url, None)
        elif LEGACY:
            async with legacy_async_client(sandbox.async_transport()) as http:
                yield Bank(sandbox, sandbox.base_url, http)
        else:
            async with sandbox.async_http_client() as http:
                yield Bank(sandbox, sandbox.base_url, http)


@pytest.fixture
async def client(bank: Bank) -> AsyncIterator[AsyncQBankConnect]:
    async with bank.client(max_retry_after=2) as client:
        yield client


async def test_reads_walk_every_page(client: AsyncQBankConnect) -> None:
    accounts = [a async for a in await client.accounts.list(limit=2)]
    assert ACCOUNT_OPERATING in {a.id for a in accounts} and len(accounts) >= 3
    account = await client.accounts.get(ACCOUNT_OPERATING)
    assert account.actor == DEMO_CLIENT_ID and account.request_id
    balance = await client.balances.get(ACCOUNT_OPERATING)
    assert isinstance(balance.available, Decimal)

    first = await client.transactions.list(account_id=ACCOUNT_OPERATING, limit=5)
    assert first.has_next_page()
    transactions = [t async for t in first]
    assert len(transactions) > 5 and len({t.id for t in transactions}) == len(transactions)
    assert all(t.account_id == ACCOUNT_OPERATING for t in transactions)
    posted = [t.posting_date for t in transactions]
    assert posted == sorted(posted, reverse=True)

    exceptions = [e async for e in await client.positive_pay.list_exceptions()]
    assert exceptions and all(e.status == "PENDING_DECISION" for e in exceptions)


async def test_ach_settles_in_the_batch_and_the_webhook_verifies(
    bank: Bank, client: AsyncQBankConnect
) -> None:
    before = await client.balances.get(ACCOUNT_OPERATING)
    payment = await client.payments.create_ach(request=ach())
    assert payment.status == PaymentStatus.P_PENDING and not payment.is_final
    assert payment.amount == Decimal("1250.00")

    bank.sandbox.advance(minutes=15)
    settled = await client.payments.wait(payment.id, timeout=5, poll_interval=0.01)
    assert settled.status == PaymentStatus.P_COMPLETED
    assert settled.status_history[0].status == PaymentStatus.P_PENDING
    after = await client.balances.get(ACCOUNT_OPERATING)
    assert after.ledger == before.ledger - Decimal("1250.00")
    completed = [p.id async for p in await client.payments.list(status=PaymentStatus.P_COMPLETED)]
    assert payment.id in completed

    (delivery,) = [d for d in bank.sandbox.webhook_outbox if d.payment_id == payment.id]
    event = client.webhooks.unwrap(delivery.body, delivery.headers)
    assert event.payment.id == payment.id and event.payment.is_completed


async def test_ach_return_magic_value_fails_at_settlement(
    bank: Bank, client: AsyncQBankConnect
) -> None:
    payment = await client.payments.create_ach(
        request=ach(account_number=ACH_RETURN_R01_ACCOUNT_NUMBER)
    )
    bank.sandbox.advance(minutes=15)
    failed = await client.payments.get(payment.id)
    assert failed.is_failed and failed.failure_code == "R01"


async def test_same_key_replays_the_first_answer(client: AsyncQBankConnect) -> None:
    first = await client.with_raw_response.payments.create_ach(request=ach(), idempotency_key=KEY)
    second = await client.with_raw_response.payments.create_ach(request=ach(), idempotency_key=KEY)
    assert not first.replayed and second.replayed
    assert second.parse().id == first.parse().id
    assert second.idempotency_key == KEY
    with pytest.raises(QBankIdempotencyKeyReuseError) as info:
        await client.payments.create_ach(request=ach(amount="1.00"), idempotency_key=KEY)
    assert info.value.error_code == "ERR_IDEM_002" and info.value.idempotency_key == KEY


async def test_wire_transfer_positive_pay_and_ach_file(
    bank: Bank, client: AsyncQBankConnect
) -> None:
    wire = await client.payments.create_wire(request=WIRE)
    assert wire.type == "wire" and wire.is_final
    transfer = await client.transfers.create(
        request={
            "source_account_id": ACCOUNT_OPERATING,
            "destination_account_id": ACCOUNT_PAYROLL,
            "amount": "10.00",
        }
    )
    assert transfer.type == "transfer" and transfer.counterparty.account_id == ACCOUNT_PAYROLL
    issue = await client.positive_pay.create_issue(
        request={
            "account_id": ACCOUNT_OPERATING,
            "check_number": "10042",
            "amount": "99.95",
            "issue_date": "2026-11-20",
            "payee_name": "Acme Supplies",
        }
    )
    assert issue.amount == Decimal("99.95") and issue.void is False

    nacha = build_ach_file(
        [
            NachaEntry("021000021", "000123456", Decimal("10.00"), "JANE DOE"),
            NachaEntry("021000021", "000654321", Decimal("20.50"), "JOHN ROE"),
        ]
    )
    ach_file = await client.payments.upload_ach_file(nacha, source_account_id=ACCOUNT_PAYROLL)
    assert ach_file.entry_count == 2 and ach_file.total_credit == Decimal("30.50")
    bank.sandbox.advance(minutes=15)
    for payment_id in ach_file.payment_ids:
        assert (await client.payments.get(payment_id)).is_final


async def test_errors_come_back_named(bank: Bank, client: AsyncQBankConnect) -> None:
    with pytest.raises(QBankNotFoundError) as missing:
        await client.balances.get("acc_does_not_exist")
    assert missing.value.error_code == "ERR_ACC_001" and missing.value.request_id
    with pytest.raises(QBankInsufficientFundsError) as funds:
        await client.payments.create_wire(request={**WIRE, "amount": "999999999999.00"})
    assert funds.value.idempotency_key

    async with bank.client(
        client_id=DEMO_READONLY_CLIENT_ID, client_secret=DEMO_READONLY_CLIENT_SECRET
    ) as readonly:
        await readonly.balances.get(ACCOUNT_OPERATING)
        with pytest.raises(QBankPermissionDeniedError) as scope:
            await readonly.payments.create_ach(request=ach())
        assert scope.value.error_code == "ERR_SCOPE_001"
    async with bank.client(client_secret="wrong-secret") as wrong:
        with pytest.raises(QBankTokenError) as token:
            await wrong.balances.get(ACCOUNT_OPERATING)
        assert token.value.error_code == "invalid_client"
        assert "wrong-secret" not in str(token.value)


async def test_retries_after_faults_make_exactly_one_payment(
    bank: Bank, client: AsyncQBankConnect
) -> None:
    bank.sandbox.faults.fail_next("createAchPayment", times=2, status=503, retry_after=0)
    raw = await client.with_raw_response.payments.create_ach(request=ach())
    assert raw.retries_taken == 2

    bank.sandbox.faults.drop_after_commit("createAchPayment")
    dropped = await client.with_raw_response.payments.create_ach(request=ach(amount="3.00"))
    assert dropped.retries_taken == 1 and dropped.replayed  # the retry got the stored answer

    keys = bank.sandbox.payments_by_key()
    assert len(keys[raw.idempotency_key]) == 1  # type: ignore[index]
    assert len(keys[dropped.idempotency_key]) == 1  # type: ignore[index]


async def test_expired_token_is_refreshed_once(bank: Bank, client: AsyncQBankConnect) -> None:
    await client.balances.get(ACCOUNT_OPERATING)
    requests_before = bank.sandbox.token_requests
    bank.sandbox.expire_tokens()
    await client.balances.get(ACCOUNT_OPERATING)
    assert bank.sandbox.token_requests == requests_before + 1


async def test_conflict_is_recovered_with_wait(bank: Bank, client: AsyncQBankConnect) -> None:
    bank.sandbox.faults.add_latency("createWirePayment", seconds=0.3, times=1)

    async def pay() -> object:
        return await client.payments.create_wire(request=WIRE, idempotency_key=KEY, conflict_wait=0)

    results = await gather_async([pay, pay])
    conflicts = [r for r in results if isinstance(r, QBankIdempotencyConflict)]
    payments = [r for r in results if not isinstance(r, Exception)]
    assert len(conflicts) == 1 and len(payments) == 1, results
    recovered = await client.payments.wait(
        conflicts[0].transaction_id, timeout=5, poll_interval=0.05
    )
    assert recovered.id == payments[0].id  # type: ignore[attr-defined]
    assert len(bank.sandbox.payments_by_key()[KEY]) == 1


async def test_a_conflict_is_followed_to_the_payment_by_default(
    bank: Bank, client: AsyncQBankConnect
) -> None:
    bank.sandbox.faults.add_latency("createWirePayment", seconds=0.3, times=1)

    async def pay() -> object:
        return await client.payments.create_wire(request=WIRE, idempotency_key=KEY)

    results = await gather_async([pay, pay])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.id for r in results} == set(bank.sandbox.payments_by_key()[KEY])  # type: ignore[attr-defined]
    assert len(bank.sandbox.payments_by_key()[KEY]) == 1
