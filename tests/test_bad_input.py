"""Bad input to every public method fails with a clear ``ValueError`` before any network call.

Both clients are given a transport that counts requests (and answers 404), so "before any
network call" is checked, not assumed. Wrong types, missing fields, malformed ids, huge strings,
NaN/inf/negative amounts, lone surrogates and non-UTF-8 bytes are tried one by one; then
hypothesis drives the request models and every method's arguments with arbitrary data: the
outcome is always either a ``ValueError`` with nothing sent, or one well-formed request."""

from __future__ import annotations

import asyncio
import io
import json
import math
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx2
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbank_connect import AsyncQBankConnect, QBankConnect
from qbank_connect.errors import QBankNotFoundError
from qbank_connect.models import (
    AchPaymentRequest,
    CheckIssueRequest,
    TransferRequest,
    WirePaymentRequest,
)

BASE_URL = "http://qbank.test/v1"
PAYMENT_ID = "5f0c8a1e-6a4d-4e5f-9a7b-1c2d3e4f5a6b"
KEY = "3f2b8c1e-6a4d-4e5f-9a7b-1c2d3e4f5a6b"
HUGE = "x" * 1_000_000

ACH: dict[str, Any] = {
    "source_account_id": "acc_operating",
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "10.00",
    "effective_date": "2026-11-23",
}
WIRE: dict[str, Any] = {
    "source_account_id": "acc_operating",
    "amount": "10.00",
    "beneficiary": {
        "name": "Globex",
        "account_number": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    },
}
TRANSFER: dict[str, Any] = {
    "source_account_id": "acc_operating",
    "destination_account_id": "acc_payroll",
    "amount": "10.00",
}
ISSUE: dict[str, Any] = {
    "account_id": "acc_operating",
    "check_number": "10042",
    "amount": "10.00",
    "issue_date": "2026-11-20",
    "payee_name": "Acme Supplies",
}
BODIES = {"create_ach": ACH, "create_wire": WIRE, "transfers": TRANSFER, "create_issue": ISSUE}


class Counting:
    """Both clients over one transport that records every request and answers 404."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        transport = httpx2.MockTransport(self._answer)
        self.sync = QBankConnect(
            token="t",
            base_url=BASE_URL,
            http_client=httpx2.Client(transport=transport),
            max_retries=0,
        )
        self.asyncc = AsyncQBankConnect(
            token="t",
            base_url=BASE_URL,
            http_client=httpx2.AsyncClient(transport=transport),
            max_retries=0,
        )

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(
            404, json={"error_code": "ERR_ACC_001", "message": "no", "request_id": "r"}
        )

    def call(self, which: str, operation: Callable[[Any], Any]) -> Any:
        if which == "sync":
            return operation(self.sync)

        async def run() -> Any:
            return await operation(self.asyncc)

        return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def which(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api() -> Counting:
    return Counting()


def ach(**changes: Any) -> dict[str, Any]:
    return {**ACH, **changes}


def recipient(**changes: Any) -> dict[str, Any]:
    return ach(recipient_details={**ACH["recipient_details"], **changes})


BAD_IDS: list[Any] = [
    None,
    42,
    4.2,
    b"acc_operating",
    "",
    "acc/../x",
    "acc op",
    "acc\x00",
    "\udcff",
    "é" * 3,
    HUGE,
    ["acc"],
]
# Ids in bodies and query strings are any 1-128 characters by the contract (``type: string``);
# only ids that go into a URL path are held to a URL-safe alphabet.
BAD_FIELD_IDS: list[Any] = [None, 42, 4.2, b"acc_operating", "", HUGE, ["acc"]]
BAD_AMOUNTS: list[Any] = [
    "NaN",
    float("nan"),
    Decimal("NaN"),
    Decimal("sNaN"),
    float("inf"),
    "-Infinity",
    Decimal("Infinity"),
    "-1.00",
    -1,
    0,
    "0.00",
    "1.001",
    "1e30",
    True,
    "ten",
    "",
    None,
    [],
    b"10.00",
    "10.00\x00",
    HUGE,
]

CASES: list[tuple[str, Callable[[Any], Any]]] = []


def case(name: str, operation: Callable[[Any], Any]) -> None:
    CASES.append((name, operation))


for i, bad in enumerate(BAD_IDS):
    case(f"accounts.get[{i}]", lambda c, v=bad: c.accounts.get(v))
    case(f"balances.get[{i}]", lambda c, v=bad: c.balances.get(v))
    case(f"payments.get[{i}]", lambda c, v=bad: c.payments.get(v))
    case(f"payments.wait[{i}]", lambda c, v=bad: c.payments.wait(v))
for i, bad in enumerate(BAD_FIELD_IDS):
    case(f"transactions.list account_id[{i}]", lambda c, v=bad: c.transactions.list(account_id=v))
for i, bad in enumerate(
    ["not-a-uuid", PAYMENT_ID + "0", "{" + PAYMENT_ID + "}", PAYMENT_ID.replace("-", "")]
):
    case(f"payments.get malformed[{i}]", lambda c, v=bad: c.payments.get(v))
    case(f"get_payment_status malformed[{i}]", lambda c, v=bad: c.payments.get_payment_status(v))
for i, bad in enumerate([0, 101, -1, True, "5", 1.5, None.__class__]):
    case(f"accounts.list limit[{i}]", lambda c, v=bad: c.accounts.list(limit=v))
    case(f"payments.list limit[{i}]", lambda c, v=bad: c.payments.list(limit=v))
    case(f"list_exceptions limit[{i}]", lambda c, v=bad: c.positive_pay.list_exceptions(limit=v))
for i, bad in enumerate(["", HUGE, b"cursor", 7, "a\nb"]):
    case(f"accounts.list cursor[{i}]", lambda c, v=bad: c.accounts.list(cursor=v))
    case(f"payments.list status[{i}]", lambda c, v=bad: c.payments.list(status=v))
for i, bad in enumerate(
    [
        "2026-13-01",
        "2026-11-31",
        "yesterday",
        datetime(2026, 11, 1, tzinfo=timezone.utc),
        20261101,
        b"2026-11-01",
    ]
):
    case(
        f"transactions.list from_date[{i}]",
        lambda c, v=bad: c.transactions.list(account_id="acc_operating", from_date=v),
    )
for i, bad in enumerate([-1, float("nan"), "5", None]):
    case(f"payments.wait timeout[{i}]", lambda c, v=bad: c.payments.wait(PAYMENT_ID, timeout=v))
    case(
        f"payments.wait poll_interval[{i}]",
        lambda c, v=bad: c.payments.wait(PAYMENT_ID, poll_interval=v),
    )
for i, bad in enumerate([None, 42, "json", [], ACH["recipient_details"], b"{}"]):
    case(f"create_ach request type[{i}]", lambda c, v=bad: c.payments.create_ach(request=v))
    case(f"create_wire request type[{i}]", lambda c, v=bad: c.payments.create_wire(request=v))
    case(f"transfers.create request type[{i}]", lambda c, v=bad: c.transfers.create(request=v))
    case(f"create_issue request type[{i}]", lambda c, v=bad: c.positive_pay.create_issue(request=v))
for name, body in BODIES.items():
    for field in body:
        missing = {k: v for k, v in body.items() if k != field}
        case(f"{name} missing {field}", lambda c, n=name, b=missing: _create(c, n, b))
    case(f"{name} unknown field", lambda c, n=name, b=body: _create(c, n, {**b, "amonut": "1.00"}))
    for i, bad in enumerate(BAD_AMOUNTS):
        case(
            f"{name} amount[{i}]",
            lambda c, n=name, b=body, v=bad: _create(c, n, {**b, "amount": v}),
        )
    for i, bad in enumerate(BAD_FIELD_IDS):
        key = "account_id" if name == "create_issue" else "source_account_id"
        case(
            f"{name} {key}[{i}]", lambda c, n=name, b=body, k=key, v=bad: _create(c, n, {**b, k: v})
        )
    for i, bad in enumerate(
        ["not-a-uuid", KEY.upper(), "3f2b8c1e-6a4d-1e5f-9a7b-1c2d3e4f5a6b", 42, b"key", ""]
    ):
        case(
            f"{name} idempotency_key[{i}]",
            lambda c, n=name, b=body, v=bad: _create(c, n, b, idempotency_key=v),
        )
    for i, (option, bad) in enumerate(
        [
            ("timeout", -1),
            ("timeout", 0),
            ("timeout", "5"),
            ("timeout", math.nan),
            ("max_retries", -1),
            ("max_retries", 1.5),
            ("max_retries", True),
        ]
    ):
        case(
            f"{name} {option}[{i}]",
            lambda c, n=name, b=body, o=option, v=bad: _create(c, n, b, **{o: v}),
        )
for i, bad in enumerate(
    [
        recipient(name=HUGE),
        recipient(name="Acme\ud800"),
        recipient(name=b"Acme \xff\xfe"),
        recipient(name=""),
        recipient(routing_number="021000022"),  # bad ABA check digit
        recipient(routing_number="02100002"),
        recipient(account_number="12-34"),
        recipient(account_type="brokerage"),
        ach(effective_date=datetime(2026, 11, 23, tzinfo=timezone.utc)),
        ach(effective_date="23/11/2026"),
        ach(currency="EUR"),
        ach(memo=HUGE),
        ach(recipient_details=None),
        ach(recipient_details="Acme"),
    ]
):
    case(f"create_ach body[{i}]", lambda c, b=bad: c.payments.create_ach(request=b))
for i, bad in enumerate(
    [{**ISSUE, "check_number": "ten"}, {**ISSUE, "void": "yes"}, {**ISSUE, "payee_name": HUGE}]
):
    case(f"create_issue body[{i}]", lambda c, b=bad: c.positive_pay.create_issue(request=b))
for i, (bad, kwargs) in enumerate(
    [
        (42, {}),
        ("/no/such/dir/payroll.ach", {}),
        (io.StringIO("text"), {}),
        (b"101 ...", {"source_account_id": 42}),
        (b"101 ...", {"source_account_id": HUGE}),
    ]
):
    case(f"upload_ach_file[{i}]", lambda c, f=bad, k=kwargs: c.payments.upload_ach_file(f, **k))


def _create(client: Any, name: str, body: Any, **options: Any) -> Any:
    method = {
        "create_ach": client.payments.create_ach,
        "create_wire": client.payments.create_wire,
        "transfers": client.transfers.create,
        "create_issue": client.positive_pay.create_issue,
    }[name]
    return method(request=body, **options)


@pytest.mark.parametrize(("name", "operation"), CASES, ids=[name for name, _ in CASES])
def test_bad_input_is_refused_before_any_request(
    api: Counting, which: str, name: str, operation: Callable[[Any], Any]
) -> None:
    with pytest.raises(ValueError) as info:
        api.call(which, operation)
    assert api.requests == []
    message = str(info.value)
    assert message and len(message) < 5000  # clear, and never the whole huge input
    if isinstance(info.value, pydantic.ValidationError):
        assert info.value.errors()[0]["loc"]  # names the field


def test_the_valid_versions_do_reach_the_transport(api: Counting, which: str) -> None:
    """The control: the same calls with good input are sent (and get the canned 404)."""
    good: list[Callable[[Any], Any]] = [
        lambda c: c.accounts.get("acc_operating"),
        lambda c: c.payments.get(PAYMENT_ID),
        lambda c: c.transactions.list(account_id="acc_operating", from_date="2026-11-01"),
        *[lambda c, n=n, b=b: _create(c, n, b, idempotency_key=KEY) for n, b in BODIES.items()],
    ]
    for operation in good:
        with pytest.raises(QBankNotFoundError):
            api.call(which, operation)
    assert len(api.requests) == len(good)


# -- hypothesis ------------------------------------------------------------------------------

anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.binary(max_size=64),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def mutated(body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The body with some fields replaced by anything (or dropped), plus maybe a stray field."""
    return st.fixed_dictionaries(
        {key: st.one_of(st.just(value), anything) for key, value in body.items()},
        optional={"extra": anything},
    )


MODELS = {
    "create_ach": AchPaymentRequest,
    "create_wire": WirePaymentRequest,
    "transfers": TransferRequest,
    "create_issue": CheckIssueRequest,
}


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_request_models_either_refuse_or_produce_a_valid_body(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(BODIES)))
    body = data.draw(mutated(BODIES[name]))
    model = MODELS[name]
    try:
        request = model.model_validate(body)
    except ValueError:
        return
    wire = json.loads(request.to_wire().decode("utf-8"))  # valid UTF-8 JSON
    assert model.model_validate(wire) == request
    amount = Decimal(wire["amount"])
    assert amount.is_finite() and amount > 0 and amount == amount.quantize(Decimal("0.01"))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data(), which=st.sampled_from(["sync", "async"]))
def test_methods_with_arbitrary_arguments_refuse_or_send_one_good_request(
    data: st.DataObject, which: str
) -> None:
    api = Counting()
    value = data.draw(anything | st.text(max_size=300))
    operations: list[Callable[[Any], Any]] = [
        lambda c: c.accounts.get(value),
        lambda c: c.balances.get(value),
        lambda c: c.payments.get(value),
        lambda c: c.accounts.list(limit=value),
        lambda c: c.payments.list(status=value),
        lambda c: c.transactions.list(account_id=value),
        lambda c: c.transactions.list(account_id="acc_operating", to_date=value),
        lambda c: c.positive_pay.list_exceptions(cursor=value),
        lambda c: c.payments.create_ach(request=ach(amount=value)),
        lambda c: c.payments.create_wire(request=WIRE, idempotency_key=value),
        lambda c: c.transfers.create(request={**TRANSFER, "memo": value}),
        lambda c: c.positive_pay.create_issue(request={**ISSUE, "payee_name": value}),
        lambda c: c.payments.create_ach(request=recipient(name=value)),
    ]
    operation = data.draw(st.sampled_from(operations))
    try:
        api.call(which, operation)
    except ValueError:
        assert api.requests == []
        return
    except QBankNotFoundError:
        pass
    (request,) = api.requests
    assert request.url.host == "qbank.test" and request.url.path.startswith("/v1/")
    assert all(32 <= ord(ch) < 127 for ch in str(request.url))
    if request.method == "POST":
        json.loads(request.content.decode("utf-8"))
