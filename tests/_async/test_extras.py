"""Per-call extras on every resource method, and ``client.request()`` through the whole pipeline."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pydantic
import pytest

from qbank_connect import AsyncQBankConnect, idempotency_key_for
from qbank_connect.errors import (
    QBankBadRequestError,
    QBankReferenceReuseError,
    QBankResponseValidationError,
    QBankUnprocessableEntityError,
)
from qbank_connect.models import Balance, Payment
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
)

from ..mock_api import (
    MockAPI,
    account_json,
    ach_file_json,
    balance_json,
    check_issue_json,
    error,
    json_body,
    nacha_file,
    payment_json,
)
from .conftest import make_client

pytestmark = pytest.mark.anyio

PAYMENT_ID = "5f0c1d2e-1111-4111-8111-111111111111"
KEY = "3f2b8c1e-6a4d-4e5f-9a7b-1c2d3e4f5a6b"
ACH = {
    "source_account_id": "acc_operating",
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "1000.50",
    "effective_date": "2026-11-23",
}
WIRE = {
    "source_account_id": "acc_operating",
    "amount": "25000.00",
    "currency": "USD",
    "beneficiary": {
        "name": "Globex",
        "account_number": "DE89370400440532013000",
        "bic": "COBADEFF",
    },
}
TRANSFER = {
    "source_account_id": "acc_operating",
    "destination_account_id": "acc_payroll",
    "amount": "1",
}
CHECK = {
    "account_id": "acc_operating",
    "check_number": "10042",
    "amount": "1250.00",
    "issue_date": "2026-11-20",
    "payee_name": "Acme",
}


def page(items: list[dict[str, Any]]) -> httpx2.Response:
    return httpx2.Response(200, json={"data": items, "has_more": False, "next_cursor": None})


Call = Callable[..., Awaitable[Any]]

# (the method, its positional arguments, method and path on the wire, the answer, has a JSON body)
METHODS: list[tuple[str, Callable[[AsyncQBankConnect], Call], tuple[Any, ...], str, str, Any, bool]] = [
    ("accounts.list", lambda c: c.accounts.list, (), "GET", "/accounts", page([account_json()]), False),
    ("accounts.get", lambda c: c.accounts.get, ("acc_1",), "GET", "/accounts/acc_1", httpx2.Response(200, json=account_json()), False),
    ("balances.get", lambda c: c.balances.get, ("acc_operating",), "GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()), False),
    ("transactions.list", lambda c: c.transactions.list, (), "GET", "/transactions", page([]), False),
    ("payments.list", lambda c: c.payments.list, (), "GET", "/payments", page([payment_json()]), False),
    ("payments.get", lambda c: c.payments.get, (PAYMENT_ID,), "GET", f"/payments/{PAYMENT_ID}", httpx2.Response(200, json=payment_json()), False),
    ("payments.get_payment_status", lambda c: c.payments.get_payment_status, (PAYMENT_ID,), "GET", f"/payments/{PAYMENT_ID}", httpx2.Response(200, json=payment_json()), False),
    ("payments.create_ach", lambda c: c.payments.create_ach, (ACH,), "POST", "/payments/ach", httpx2.Response(202, json=payment_json()), True),
    ("payments.create_wire", lambda c: c.payments.create_wire, (WIRE,), "POST", "/payments/wire", httpx2.Response(201, json=payment_json(type="wire")), True),
    ("transfers.create", lambda c: c.transfers.create, (TRANSFER,), "POST", "/transfers", httpx2.Response(201, json=payment_json(type="transfer")), True),
    ("positive_pay.create_issue", lambda c: c.positive_pay.create_issue, (CHECK,), "POST", "/positivepay/issues", httpx2.Response(202, json=check_issue_json()), True),
    ("positive_pay.list_exceptions", lambda c: c.positive_pay.list_exceptions, (), "GET", "/positivepay/exceptions", page([]), False),
    ("payments.upload_ach_file", lambda c: c.payments.upload_ach_file, (nacha_file(),), "POST", "/payments/ach/files", httpx2.Response(202, json=ach_file_json()), False),
]  # fmt: skip


def kwargs_for(name: str) -> dict[str, Any]:
    if name == "transactions.list":
        return {"account_id": "acc_operating"}
    return {}


@pytest.mark.parametrize(
    ("name", "bound", "args", "http_method", "path", "answer", "json_body_"),
    METHODS,
    ids=[m[0] for m in METHODS],
)
async def test_every_method_sends_its_extras(
    api: MockAPI,
    name: str,
    bound: Callable[[AsyncQBankConnect], Call],
    args: tuple[Any, ...],
    http_method: str,
    path: str,
    answer: Any,
    json_body_: bool,
) -> None:
    api.route(http_method, path, answer)
    client = make_client(api)
    extras: dict[str, Any] = {
        "extra_headers": {"X-Partner-Trace": "trace-7"},
        "extra_query": {"beta": "on", "n": 3},
    }
    if json_body_:
        extras["extra_body"] = {"x_batch_tag": "nightly", "x_amount_hint": Decimal("1.10")}
    elif name == "payments.upload_ach_file":
        extras["extra_body"] = {"batch_label": "payroll"}
    await bound(client)(*args, **kwargs_for(name), **extras)

    (sent,) = api.calls(http_method, path)
    assert sent.headers["x-partner-trace"] == "trace-7"
    assert sent.url.params["beta"] == "on" and sent.url.params["n"] == "3"
    assert sent.headers["user-agent"].startswith("qbank-connect")  # the SDK's own stay
    if json_body_:
        body = json_body(sent)
        assert body["x_batch_tag"] == "nightly" and body["x_amount_hint"] == "1.10"
        assert (
            "Idempotency-Key" in sent.headers and sent.headers["content-type"] == "application/json"
        )
    if name == "payments.upload_ach_file":
        assert b'name="batch_label"' in sent.content and b"payroll" in sent.content


async def test_wait_sends_its_extras_with_every_poll(api: MockAPI) -> None:
    api.route(
        "GET",
        f"/payments/{PAYMENT_ID}",
        httpx2.Response(200, json=payment_json()),
        httpx2.Response(200, json=payment_json(status="P_COMPLETED")),
    )
    client = make_client(api)
    payment = await client.payments.wait(
        PAYMENT_ID, poll_interval=0, extra_headers={"X-Tenant": "t9"}
    )
    assert payment.status == "P_COMPLETED"
    polls = api.calls("GET", f"/payments/{PAYMENT_ID}")
    assert [p.headers["x-tenant"] for p in polls] == ["t9", "t9"]


async def test_extras_on_a_list_call_follow_every_page(api: MockAPI) -> None:
    api.route(
        "GET",
        "/accounts",
        httpx2.Response(
            200, json={"data": [account_json(1)], "has_more": True, "next_cursor": "c2"}
        ),
        page([account_json(2)]),
    )
    client = make_client(api)
    seen = [
        a.id
        async for a in client.accounts.list(
            extra_query={"region": "us"}, extra_headers={"X-Tenant": "t1"}
        )
    ]
    assert seen == ["acc_1", "acc_2"]
    first, second = api.calls("GET", "/accounts")
    assert second.url.params["cursor"] == "c2"
    assert first.url.params["region"] == second.url.params["region"] == "us"
    assert first.headers["x-tenant"] == second.headers["x-tenant"] == "t1"


@pytest.mark.parametrize(
    ("header", "use"),
    [
        ("Authorization", "client_secret="),
        ("authorization", "token="),
        ("Idempotency-Key", "use idempotency_key="),
        ("IDEMPOTENCY-KEY", "use idempotency_key="),
        ("Content-Type", "request="),
    ],
)
async def test_extra_headers_cannot_set_what_the_sdk_sets(
    api: MockAPI, header: str, use: str
) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match=use) as caught:
        await client.payments.create_ach(ACH, extra_headers={header: "x"})
    assert header in str(caught.value)
    with pytest.raises(ValueError, match=use):
        await client.balances.get("acc_operating", extra_headers={header: "x"})
    with pytest.raises(ValueError, match=use):
        await client.request("GET", "/balances/acc_operating", extra_headers={header: "x"})
    assert api.requests == []  # refused before any network call, token included


async def test_extra_body_never_skips_the_validation_of_the_sdk_fields(api: MockAPI) -> None:
    client = make_client(api)
    # The request is still validated: a bad amount fails whatever the extras carry.
    with pytest.raises(pydantic.ValidationError, match="amount"):
        await client.payments.create_ach({**ACH, "amount": "-5"}, extra_body={"x_tag": "a"})
    # A field of the model cannot come in through the extras, set or not in the request: it
    # would skip the model's checks (amount as a float, a memo of any length).
    for field, value in (("amount", 1e9), ("amount", "-5"), ("memo", "x" * 10_000)):
        with pytest.raises(ValueError, match=f"'{field}'.*AchPaymentRequest.*request="):
            await client.payments.create_ach(ACH, extra_body={field: value})
    with pytest.raises(ValueError, match="'recipient_details'"):
        await client.payments.create_ach(ACH, extra_body={"recipient_details": {}})
    # A float is refused anywhere in the extras: money is never a float.
    with pytest.raises(ValueError, match="float"):
        await client.payments.create_ach(ACH, extra_body={"x_fee": {"value": 0.1}})
    with pytest.raises(ValueError, match="float"):
        await client.payments.list(extra_query={"min": 0.5})
    # The method's own query parameters are checked: extras cannot bypass them.
    with pytest.raises(ValueError, match=r"'limit'.*use limit="):
        await client.payments.list(extra_query={"limit": 1000})
    with pytest.raises(ValueError, match="'cursor'"):
        await client.accounts.list(extra_query={"cursor": "x"})
    # A GET has no body.
    with pytest.raises(ValueError, match=r"getBalance.*no body.*extra_query="):
        await client.balances.get("acc_operating", extra_body={"x": "1"})
    with pytest.raises(ValueError, match="source_account_id"):
        await client.payments.upload_ach_file(nacha_file(), extra_body={"source_account_id": "a"})
    assert api.requests == []


async def test_extra_body_is_what_the_journal_records(tmp_path: Path) -> None:
    """The body as sent, extras included, is the journaled body: the same reference with other
    extras is another instruction, refused rather than answered with the first's result."""
    with Sandbox(start=datetime(2026, 11, 23, 9, tzinfo=timezone.utc)) as sandbox:
        async with (
            sandbox.async_http_client() as http,
            AsyncQBankConnect(
                client_id=DEMO_CLIENT_ID,
                client_secret=DEMO_CLIENT_SECRET,
                base_url=sandbox.base_url,
                http_client=http,
                journal=f"sqlite:///{tmp_path / 'journal.db'}",
            ) as client,
        ):
            request = {**TRANSFER, "source_account_id": ACCOUNT_OPERATING}
            request["destination_account_id"] = ACCOUNT_PAYROLL
            first = await client.transfers.create(
                request, reference="sweep:1", extra_body={"x_note": "a"}
            )
            again = await client.transfers.create(
                request, reference="sweep:1", extra_body={"x_note": "a"}
            )
            assert again.id == first.id
            with pytest.raises(QBankReferenceReuseError):
                await client.transfers.create(
                    request, reference="sweep:1", extra_body={"x_note": "b"}
                )
            assert client.journal is not None
            entry = await client.journal.get("createTransfer", "sweep:1")
            assert entry is not None and json.loads(entry.body)["x_note"] == "a"


# -- client.request() ------------------------------------------------------------------------


async def test_request_returns_json_with_decimals_or_the_model(api: MockAPI) -> None:
    api.route("GET", "/balances/acc_operating", httpx2.Response(200, json=balance_json()))
    api.route(
        "GET", "/beta/limits", httpx2.Response(200, content=b'{"daily": 2500.10, "count": 3}')
    )
    client = make_client(api)
    answer = await client.request("GET", "/balances/acc_operating")
    assert answer["available"] == "125000.50"
    limits = await client.request("GET", "/beta/limits", params={"currency": "USD"})
    assert limits == {"daily": Decimal("2500.10"), "count": 3}
    assert isinstance(limits["daily"], Decimal)
    balance = await client.request("GET", "/balances/acc_operating", cast_to=Balance)
    assert isinstance(balance, Balance) and balance.available == Decimal("125000.50")
    (_, beta) = [r for r in api.requests if r.url.path != "/v1/token"][:2]
    assert beta.url.params["currency"] == "USD"
    assert all("idempotency-key" not in r.headers for r in api.requests)


async def test_request_keys_posts_like_the_named_methods(api: MockAPI, sleeps: list[float]) -> None:
    api.route(
        "POST",
        "/payments/ach",
        error(503, "ERR_SYS_503"),
        httpx2.Response(202, json=payment_json()),
    )
    api.route("POST", "/beta/things", httpx2.Response(201, json={"ok": True}))
    client = make_client(api)
    payment = await client.request("POST", "/payments/ach", json=ACH, cast_to=Payment)
    assert isinstance(payment, Payment)
    first, retry = api.calls("POST", "/payments/ach")
    key = first.headers["idempotency-key"]
    assert uuid.UUID(key).version == 4 and retry.headers["idempotency-key"] == key
    assert json_body(first) == ACH

    await client.request("POST", "/payments/ach", json=ACH, reference="invoice:42")
    derived = api.calls("POST", "/payments/ach")[-1].headers["idempotency-key"]
    assert derived == idempotency_key_for("createAchPayment", "invoice:42")

    await client.request("POST", "/payments/ach", json=ACH, idempotency_key=KEY)
    assert api.calls("POST", "/payments/ach")[-1].headers["idempotency-key"] == KEY

    # A POST the SDK does not know still carries a key: its retries must not execute twice.
    assert await client.request("POST", "/beta/things", json={"n": 1}) == {"ok": True}
    (thing,) = api.calls("POST", "/beta/things")
    assert uuid.UUID(thing.headers["idempotency-key"]).version == 4


async def test_request_maps_errors_and_refuses_bad_arguments(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", error(422, "ERR_FUNDS_001", "insufficient funds"))
    api.route("GET", "/beta/html", httpx2.Response(200, content=b"<html>"))
    client = make_client(api)
    with pytest.raises(QBankUnprocessableEntityError) as caught:
        await client.request("POST", "/payments/ach", json=ACH)
    assert caught.value.idempotency_key is not None
    with pytest.raises(QBankResponseValidationError):
        await client.request("GET", "/beta/html")
    sent = len(api.requests)
    for bad in (
        "https://evil.example/v1/balances",
        "//evil.example/v1/balances",
        "/balances/../../admin",
        "/balances/%2e%2e/x",
        "/a//b",
        "balances/acc_1",
        "/balances/acc_1?x=1",
        "/balances\\acc",
    ):
        with pytest.raises(ValueError, match="path"):
            await client.request("GET", bad)
    with pytest.raises(ValueError, match="json="):
        await client.request("GET", "/accounts", json={"a": "b"})
    with pytest.raises(ValueError, match="float"):
        await client.request("POST", "/payments/ach", json={**ACH, "amount": 1000.5})
    with pytest.raises(ValueError, match="idempotency_key= is for POST"):
        await client.request("GET", "/accounts", idempotency_key=KEY)
    with pytest.raises(ValueError, match="reference= needs"):
        await client.request("POST", "/beta/things", json={}, reference="r1")
    with pytest.raises(ValueError, match="cast_to"):
        await client.request("GET", "/accounts", cast_to=dict)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="method"):
        await client.request("TRACE", "/accounts")
    assert len(api.requests) == sent  # nothing sent for any of them


async def test_request_with_a_reference_goes_through_the_journal(tmp_path: Path) -> None:
    """A generic POST with ``reference=`` is the same instruction as the named method's: the
    journal answers the second from the first, and the sandbox executed it once."""
    with (
        Sandbox(start=datetime(2026, 11, 23, 9, tzinfo=timezone.utc)) as sandbox,
        sandbox.serve() as server,
    ):
        async with AsyncQBankConnect(
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=server.base_url,
            journal=f"sqlite:///{tmp_path / 'journal.db'}",
        ) as client:
            body = {
                "source_account_id": ACCOUNT_OPERATING,
                "destination_account_id": ACCOUNT_PAYROLL,
                "amount": Decimal("12.34"),
            }
            first = await client.request("POST", "/transfers", json=body, reference="sweep:9")
            assert first["amount"] == "12.34"
            named = await client.transfers.create(body, reference="sweep:9")
            assert named.id == first["id"]
            again = await client.request(
                "POST", "/transfers", json=body, reference="sweep:9", cast_to=Payment
            )
            assert again.id == first["id"]
            key = idempotency_key_for("createTransfer", "sweep:9")
            assert sandbox.payments_by_key()[key] == [first["id"]]
            with pytest.raises(QBankBadRequestError):
                await client.request("POST", "/transfers", json={"amount": "1"})
