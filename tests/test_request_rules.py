"""The contract's request rules (spec/openapi.yaml) hold exactly, in the SDK and in the sandbox:
``Amount`` (> 0, at most 15 integer digits and 2 decimals, no leading zeros), non-empty ids and
names, a transfer's destination differs from its source, ``from_date`` not after ``to_date``.

A request the contract allows is accepted; one it forbids is refused (the SDK: before sending,
naming the field; the sandbox: 400 ERR_VAL_001 naming the field). The pattern is read from the
spec, not copied, so the day the contract changes these tests say where the code disagrees."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pydantic
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qbank_connect import QBankConnect
from qbank_connect.models import (
    AchPaymentRequest,
    CheckIssueRequest,
    TransferRequest,
    WirePaymentRequest,
)
from qbank_connect.sandbox import Sandbox
from qbank_connect.sandbox._validation import (
    validate_ach_payment,
    validate_check_issue,
    validate_transfer,
    validate_wire_payment,
)

SPEC = yaml.safe_load((Path(__file__).parent.parent / "spec" / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]
AMOUNT = re.compile(SCHEMAS["Amount"]["pattern"].replace("^", r"\A").replace("$", r"\Z"))

TRANSFER = {"source_account_id": "acc_operating", "destination_account_id": "acc_payroll"}
ACH: dict[str, Any] = {
    "source_account_id": "acc_operating",
    "amount": "10.00",
    "effective_date": "2026-11-23",
    "recipient_details": {
        "name": "Jane Doe",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
}
WIRE: dict[str, Any] = {
    "source_account_id": "acc_operating",
    "amount": "10.00",
    "beneficiary": {
        "name": "Globex",
        "account_number": "DE89370400440532013000",
        "bic": "COBADEFF",
    },
}
ISSUE = {
    "account_id": "acc_operating",
    "check_number": "1001",
    "amount": "10.00",
    "issue_date": "2026-11-20",
    "payee_name": "Acme",
}
REQUESTS = {
    "AchPaymentRequest": (AchPaymentRequest, validate_ach_payment, ACH),
    "WirePaymentRequest": (WirePaymentRequest, validate_wire_payment, WIRE),
    "TransferRequest": (TransferRequest, validate_transfer, {**TRANSFER, "amount": "10.00"}),
    "CheckIssueRequest": (CheckIssueRequest, validate_check_issue, ISSUE),
}


def sdk_accepts_amount(value: object) -> bool:
    try:
        request = TransferRequest.model_validate({**TRANSFER, "amount": value})
    except pydantic.ValidationError as error:
        assert [e["loc"] for e in error.errors()] == [("amount",)]
        return False
    sent = json.loads(request.to_wire())["amount"]
    assert AMOUNT.fullmatch(sent), sent  # whatever the SDK accepts, it sends as an Amount
    assert Decimal(sent) == Decimal(str(value)) if not isinstance(value, float) else True
    return True


def sandbox_accepts_amount(value: str) -> bool:
    details = validate_transfer({**TRANSFER, "amount": value})
    assert all(d["field"] == "amount" for d in details), details
    return not details


# Strings near the pattern's edges: digits, points, signs, exponents, spaces, a trailing newline.
amount_like = st.text(alphabet="0123456789.-+eE \n", max_size=20) | st.from_regex(
    r"\A-?0*[0-9]{0,17}(\.[0-9]{0,3})?\Z"
)


@settings(max_examples=600, deadline=None)
@given(st.from_regex(AMOUNT))
@example("0.01")
@example("0.1")
@example("999999999999999.99")
@example("1")
def test_every_amount_the_contract_allows_is_accepted(text: str) -> None:
    assert sdk_accepts_amount(text)
    assert sandbox_accepts_amount(text)


@settings(max_examples=1500, deadline=None)
@given(amount_like | st.text(max_size=8))
@example("0")
@example("0.00")
@example("01.50")
@example("00.5")
@example("1000000000000000")
@example("1.005")
@example("-1.00")
@example("1e3")
@example(" 12.50")
@example("12.50\n")
@example("")
def test_a_string_amount_is_accepted_exactly_when_the_contract_allows_it(text: str) -> None:
    allowed = AMOUNT.fullmatch(text) is not None
    assert sdk_accepts_amount(text) is allowed
    assert sandbox_accepts_amount(text) is allowed


@settings(max_examples=600, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.decimals(min_value=Decimal("-1"), max_value=Decimal("1e16"), places=2)
    | st.integers(min_value=-5, max_value=10**16)
)
@example(Decimal("999999999999999.99"))
@example(Decimal("1E+15"))
@example(Decimal("0.001"))
def test_a_number_amount_is_accepted_exactly_when_its_amount_string_is_one(
    value: Decimal | int,
) -> None:
    """Decimals and ints are sent as two-place strings: accepted when that string is an Amount."""
    number = Decimal(value)
    representable = number == number.quantize(Decimal("0.01")) if number.adjusted() < 20 else False
    allowed = (
        representable and AMOUNT.fullmatch(f"{number.quantize(Decimal('0.01')):f}") is not None
    )
    assert sdk_accepts_amount(value) is allowed


@pytest.mark.parametrize("schema", sorted(REQUESTS))
def test_every_min_length_field_refuses_an_empty_string_in_both(schema: str) -> None:
    model, sandbox_check, body = REQUESTS[schema]
    fields = [
        (name,) for name, sub in SCHEMAS[schema]["properties"].items() if sub.get("minLength")
    ]
    for name, ref in SCHEMAS[schema]["properties"].items():
        target = SCHEMAS.get(ref.get("$ref", "").rsplit("/", 1)[-1], {})
        fields += [
            (name, inner) for inner, s in target.get("properties", {}).items() if s.get("minLength")
        ]
    assert fields
    assert model.model_validate(body)  # the valid body is valid
    assert sandbox_check(body) == []
    for path in fields:
        bad = json.loads(json.dumps(body))
        holder = bad
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = ""
        with pytest.raises(pydantic.ValidationError) as refused:
            model.model_validate(bad)
        assert [e["loc"] for e in refused.value.errors()] == [path]
        assert [d["field"] for d in sandbox_check(bad)] == [".".join(path)]


def test_a_transfer_to_its_own_source_is_refused_by_both_naming_the_destination() -> None:
    same = {"source_account_id": "acc_x", "destination_account_id": "acc_x", "amount": "1.00"}
    with pytest.raises(pydantic.ValidationError, match="must differ from source_account_id") as e:
        TransferRequest.model_validate(same)
    assert [err["loc"] for err in e.value.errors()] == [("destination_account_id",)]
    assert [d["field"] for d in validate_transfer(same)] == ["destination_account_id"]
    assert TransferRequest.model_validate({**same, "destination_account_id": "acc_y"})


@pytest.fixture
def client() -> Any:
    with Sandbox() as sandbox, sandbox.http_client() as http:
        requests: list[httpx2.Request] = []
        http.event_hooks["request"].append(requests.append)
        with QBankConnect(
            "demo-client", "demo-s3cret:/+%=", base_url=sandbox.base_url, http_client=http
        ) as client:
            yield client, requests


def test_the_sdk_refuses_what_the_sandbox_would_refuse_before_sending(client: Any) -> None:
    qbank, requests = client
    with pytest.raises(ValueError, match="destination_account_id"):
        qbank.transfers.create(
            request={
                "source_account_id": "acc_operating",
                "destination_account_id": "acc_operating",
                "amount": "1.00",
            }
        )
    with pytest.raises(ValueError, match="leading zeros"):
        qbank.transfers.create(request={**TRANSFER, "amount": "0100.00"})
    with pytest.raises(ValueError, match="from_date must not be after to_date"):
        qbank.transactions.list(
            account_id="acc_operating", from_date=date(2026, 11, 2), to_date=date(2026, 11, 1)
        )
    assert requests == []
    transfer = qbank.transfers.create(request={**TRANSFER, "amount": "0.5"})
    assert transfer.amount == Decimal("0.50")
