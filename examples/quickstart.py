"""qbank-connect quickstart: the SDK guide's story, end to end.

    python examples/quickstart.py

With no ``QBANK_CLIENT_ID`` set, it starts the embedded QBank sandbox on a loopback port and walks
the whole story with both clients: token, balance, transactions, an ACH payment, a replay with the
same key, a conflict recovered with ``payments.wait``, the batch settling, the webhook verified, a
wire, a transfer, a Positive Pay issue, and the errors for a missing scope and a bad request.

With ``QBANK_CLIENT_ID`` and ``QBANK_CLIENT_SECRET`` set (and ``QBANK_BASE_URL`` or
``QBANK_ENVIRONMENT``), it runs only the read-only part against the real API.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import date, timedelta

from pydantic import ValidationError

from qbank_connect import AsyncQBankConnect, QBankConnect
from qbank_connect.errors import (
    QBankBadRequestError,
    QBankIdempotencyConflict,
    QBankPermissionDeniedError,
)
from qbank_connect.models import AchPaymentRequest


def step(title: str) -> None:
    print(f"\n== {title}")


def read_only_tour(client: QBankConnect) -> str:
    """What works with read scopes: returns the account it looked at."""
    step("Token and accounts")
    client.authenticate()
    print("token fetched (it is cached and refreshed before it expires)")
    accounts = client.accounts.list(limit=10)
    for account in accounts.data:
        print(f"  {account.id:<16} {account.name:<24} ...{account.account_number_last4}")
    account_id = accounts.data[0].id

    step(f"Balance of {account_id}")
    balance = client.balances.get(account_id)
    print(f"  available {balance.available} {balance.currency}, ledger {balance.ledger}")

    step("Transactions, first page")
    page = client.transactions.list(account_id=account_id, limit=5)
    for tx in page.data:
        print(
            f"  {tx.posting_date:%Y-%m-%d} {tx.direction:<6} {tx.amount:>10} {tx.description}"
            f"  (initiated {tx.transaction_date:%Y-%m-%d}, value date {tx.value_date})"
        )
    print(f"  more pages: {page.has_next_page()}")
    return account_id


def sandbox_tour() -> None:
    from qbank_connect.sandbox import (
        ACCOUNT_OPERATING,
        ACCOUNT_PAYROLL,
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_READONLY_CLIENT_ID,
        DEMO_READONLY_CLIENT_SECRET,
        DEMO_WEBHOOK_SECRET,
        Sandbox,
    )

    with Sandbox() as sandbox, sandbox.serve() as server:
        print(f"No QBANK_CLIENT_ID set: running against the embedded sandbox at {server.base_url}")
        client = QBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=server.base_url,
            webhook_secret=DEMO_WEBHOOK_SECRET,
        )
        with client:
            read_only_tour(client)

            step("An ACH payment (the guide's example)")
            ach_request = AchPaymentRequest(
                source_account_id=ACCOUNT_OPERATING,
                recipient_details={
                    "name": "Acme Supplies",
                    "routing_number": "021000021",
                    "account_number": "123456789",
                    "account_type": "checking",
                },
                amount=1000.50,  # becomes Decimal("1000.50"), sent as "1000.50"
                effective_date=date.today(),
                memo="Invoice INV-1001",
            )
            key = str(uuid.uuid4())
            raw = client.with_raw_response.payments.create_ach(
                request=ach_request, idempotency_key=key
            )
            payment = raw.parse()
            print(f"  accepted: {payment.id} {payment.status} {payment.amount} {payment.currency}")
            print(f"  Idempotency-Key {raw.idempotency_key}, Request-Id {raw.request_id}")

            step("The same call again with the same key (e.g. after a timeout)")
            again = client.with_raw_response.payments.create_ach(
                request=ach_request, idempotency_key=key
            )
            print(
                f"  replayed={again.replayed}: same payment {again.parse().id == payment.id}, "
                "nothing executed twice"
            )

            step("The ACH batch runs (sandbox clock +15 minutes)")
            sandbox.advance(minutes=15)
            settled = client.payments.get_payment_status(payment.id)
            history = " -> ".join(str(change.status) for change in settled.status_history)
            print(f"  {settled.id}: {settled.status} ({history})")

            step("The paymentStatusUpdate webhook, verified")
            sandbox.wait_for_webhooks()
            delivery = next(d for d in sandbox.webhook_outbox if d.payment_id == payment.id)
            event = client.webhooks.unwrap(delivery.body, delivery.headers)
            print(f"  event {event.id}: payment {event.payment.id} is {event.payment.status}")
            print("  (de-duplicate on event.id: QBank delivers at least once)")

            step("A transfer and a Positive Pay issue")
            transfer = client.transfers.create(
                request={
                    "source_account_id": ACCOUNT_OPERATING,
                    "destination_account_id": ACCOUNT_PAYROLL,
                    "amount": "5000.00",
                    "memo": "Payroll funding",
                }
            )
            print(f"  transfer {transfer.id}: {transfer.status}")
            issue = client.positive_pay.create_issue(
                request={
                    "account_id": ACCOUNT_OPERATING,
                    "check_number": "10042",
                    "amount": "1250.00",
                    "issue_date": date.today() - timedelta(days=1),
                    "payee_name": "Acme Supplies",
                }
            )
            print(f"  check {issue.check_number} registered: {issue.status}")

            step("Errors: a bad request caught before sending, and one the bank refuses")
            try:
                AchPaymentRequest.model_validate({**ach_request.model_dump(), "amount": "10.005"})
            except ValidationError as e:
                problem = e.errors()[0]
                print(f"  before any network call: {problem['loc'][0]}: {problem['msg']}")
            try:
                client.transactions.list(
                    account_id=ACCOUNT_OPERATING, from_date="2026-11-21", to_date="2026-11-01"
                )
            except ValueError as e:
                print(f"  before any network call: {e}")
            try:
                client.transactions.list(account_id=ACCOUNT_OPERATING, cursor="not-a-cursor")
            except QBankBadRequestError as e:
                print(f"  {type(e).__name__} {e.error_code}: {e.details}")

        step("Errors: a token without the payments scope")
        with QBankConnect(
            client_id=DEMO_READONLY_CLIENT_ID,
            client_secret=DEMO_READONLY_CLIENT_SECRET,
            base_url=server.base_url,
        ) as readonly:
            try:
                readonly.payments.create_ach(request=ach_request)
            except QBankPermissionDeniedError as e:
                print(
                    f"  {type(e).__name__} {e.error_code}: {e.message} (request_id {e.request_id})"
                )

        asyncio.run(async_tour(server.base_url, sandbox))
        print("\nDone: every step above ran against real HTTP on this machine.")


async def async_tour(base_url: str, sandbox: object) -> None:
    from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

    assert isinstance(sandbox, Sandbox)
    step("The async client: a wire, sent twice at once with one key")
    wire = {
        "source_account_id": ACCOUNT_OPERATING,
        "amount": "25000.00",
        "currency": "USD",
        "purpose": "Supplier prepayment",
        "beneficiary": {
            "name": "Globex GmbH",
            "account_number": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
        },
    }
    key = str(uuid.uuid4())
    # The bank is slow to process this one, so the second copy arrives while the first is running:
    # QBank answers it 409, and the SDK follows the in-flight payment (GET /payments/{id}, up to
    # conflict_wait seconds) instead of sending it again.
    sandbox.faults.add_latency("createWirePayment", seconds=0.5, times=1)
    async with AsyncQBankConnect(
        client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET, base_url=base_url
    ) as client:
        results = await asyncio.gather(
            client.payments.create_wire(request=wire, idempotency_key=key),
            client.payments.create_wire(request=wire, idempotency_key=key),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, QBankIdempotencyConflict):
                print(f"  409 conflict: {result.detail}")
                print(f"  -> do not retry; wait for transaction {result.transaction_id}")
                payment = await client.payments.wait(
                    result.transaction_id, timeout=30, poll_interval=0.2
                )
                print(f"  -> {payment.id} is {payment.status}")
            elif isinstance(result, BaseException):
                raise result
            else:
                print(f"  wire {result.id}: {result.status} {result.amount} {result.currency}")
        ids = {r.id for r in results if not isinstance(r, BaseException)}
        if len(ids) == 1:
            print("  the 409 was followed to the same wire, not sent again")
        ledger = sandbox.payments_by_key()[key]
        print(f"  payments made for that key: {len(ledger)}")


def main() -> None:
    if os.environ.get("QBANK_CLIENT_ID"):
        environment = os.environ.get("QBANK_ENVIRONMENT", "production")
        with QBankConnect(environment=environment) as client:
            # QBANK_BASE_URL, when set, wins over the environment: name what is really used.
            where = "QBANK_BASE_URL" if os.environ.get("QBANK_BASE_URL") else environment
            print(f"QBANK_CLIENT_ID is set: read-only tour of {client.base_url} ({where})")
            read_only_tour(client)
        return
    sandbox_tour()


if __name__ == "__main__":
    main()
