"""Property tests of the models against the contract's own schemas."""

from __future__ import annotations

import copy
import json
import traceback
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import qbank_connect.models as models

from .spec_strategies import from_schema

SPEC = yaml.safe_load((Path(__file__).parent.parent / "spec" / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]


def inline(schema: Any) -> Any:
    """The schema with every $ref replaced by its target (the contract has no cycles)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return inline(SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]])
        return {k: inline(v) for k, v in schema.items() if k not in ("example", "examples")}
    if isinstance(schema, list):
        return [inline(v) for v in schema]
    return schema


RESPONSE_MODELS = [
    "Account",
    "AccountList",
    "Balance",
    "Transaction",
    "TransactionList",
    "Payment",
    "PaymentList",
    "StatusChange",
    "Counterparty",
    "AchFile",
    "CheckIssue",
    "CheckException",
    "CheckExceptionList",
    "WebhookEvent",
    "ErrorResponse",
    "IdempotencyConflict",
    "TokenResponse",
    "OAuthError",
]
REQUEST_MODELS = [
    "AchPaymentRequest",
    "WirePaymentRequest",
    "TransferRequest",
    "CheckIssueRequest",
    "RecipientDetails",
    "BeneficiaryDetails",
]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("name", RESPONSE_MODELS)
@settings(max_examples=40)
@given(data=st.data())
def test_valid_payloads_parse_and_round_trip(name: str, data: st.DataObject) -> None:
    payload = data.draw(from_schema(inline(SCHEMAS[name])))
    model = getattr(models, name)
    parsed = model.model_validate_json(json.dumps(payload))
    again = model.model_validate_json(parsed.model_dump_json())
    assert again == parsed
    dumped = json.loads(parsed.model_dump_json())
    for field, value in payload.items():
        if field not in model.model_fields:  # unknown fields are kept as they came
            assert dumped[field] == value


@pytest.mark.parametrize("name", ["Payment", "Balance", "Transaction", "WebhookEvent"])
@settings(max_examples=200)
@given(payload=JSON)
def test_arbitrary_json_only_ever_raises_validation_error(name: str, payload: Any) -> None:
    model = getattr(models, name)
    try:
        model.model_validate_json(json.dumps(payload))
    except pydantic.ValidationError:
        pass


@pytest.mark.parametrize("name", ["Payment", "Transaction", "AchFile", "CheckException"])
@settings(max_examples=100)
@given(data=st.data())
def test_breaking_a_required_field_is_a_validation_error(name: str, data: st.DataObject) -> None:
    schema = inline(SCHEMAS[name])
    payload = data.draw(from_schema(schema))
    required = sorted(
        {r for part in [schema, *schema.get("allOf", [])] for r in part.get("required", [])}
    )
    field = data.draw(st.sampled_from(required))
    broken = copy.deepcopy(payload)
    if data.draw(st.booleans()):
        del broken[field]
    else:
        broken[field] = [1, 2]  # the wrong type for every field of these schemas
    with pytest.raises(pydantic.ValidationError):
        getattr(models, name).model_validate_json(json.dumps(broken))


def _field_values() -> st.SearchStrategy[Any]:
    return (
        JSON
        | st.decimals(allow_nan=True, allow_infinity=True)
        | st.floats()
        | st.binary(max_size=20)
        | st.text(min_size=0, max_size=300)
        | st.dates()
        | st.from_regex(r"\A-?[0-9]{1,6}(\.[0-9]{1,4})?\Z")
        | st.sampled_from(["021000021", "011000015", "123456789", "COBADEFFXXX", "USD", "usd"])
    )


@pytest.mark.parametrize("name", REQUEST_MODELS)
@settings(max_examples=300)
@given(data=st.data())
def test_what_a_request_model_accepts_the_contract_accepts(name: str, data: st.DataObject) -> None:
    model = getattr(models, name)
    fields = list(model.model_fields)
    keys = st.sampled_from(fields) | st.text(max_size=8)
    raw = data.draw(st.dictionaries(keys, _field_values(), max_size=len(fields) + 2))
    if data.draw(st.booleans()):
        # Start from a valid request, then change a few fields, to reach deep validation paths.
        raw = {**data.draw(from_schema(inline(SCHEMAS[name]))), **raw}
    try:
        request = model.model_validate(raw)
    except pydantic.ValidationError:
        return
    wire = json.loads(request.to_wire())
    jsonschema.validate(wire, inline(SCHEMAS[name]))
    assert None not in wire.values()  # optional fields are omitted, never sent as null


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1000.50, "1000.50"),
        (1000.5, "1000.50"),
        ("0.1", "0.10"),
        (Decimal("12"), "12.00"),
        (7, "7.00"),
        ("1000.50", "1000.50"),
        (0.07, "0.07"),
    ],
)
def test_money_is_decimal_and_goes_on_the_wire_as_a_two_place_string(
    value: Any, expected: str
) -> None:
    request = models.TransferRequest(
        source_account_id="a", destination_account_id="b", amount=value
    )
    assert isinstance(request.amount, Decimal)
    assert request.amount == Decimal(expected)
    assert json.loads(request.to_wire())["amount"] == expected


@pytest.mark.parametrize(
    "value", [0.001, "1.005", 0, -1, "NaN", float("inf"), "1e16", True, "", None, [1]]
)
def test_bad_amounts_are_rejected_naming_the_field(value: Any) -> None:
    with pytest.raises(pydantic.ValidationError, match="amount"):
        models.TransferRequest(source_account_id="a", destination_account_id="b", amount=value)


def test_routing_number_check_digit() -> None:
    assert models.is_valid_routing_number("021000021")
    assert not models.is_valid_routing_number("021000022")
    with pytest.raises(pydantic.ValidationError, match="check digit"):
        models.RecipientDetails(
            name="x", routing_number="021000022", account_number="1234", account_type="checking"
        )


# The README's sample account numbers: an ACH recipient's and a wire beneficiary's IBAN.
ACH_ACCOUNT = "123456789"
IBAN = "DE89370400440532013000"
RECIPIENT = {
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "account_number": ACH_ACCOUNT,
    "account_type": "checking",
}
BENEFICIARY = {"name": "Globex GmbH", "account_number": IBAN, "bic": "COBADEFFXXX"}
ACH = {"source_account_id": "acc_operating", "amount": "1000.50", "effective_date": "2026-11-23"}
WIRE = {"source_account_id": "acc_operating", "amount": "25000.00"}


@pytest.mark.parametrize(
    ("model", "body", "field", "secret"),
    [
        # the value itself is wrong
        ("AchPaymentRequest", {**ACH, "recipient_details": {**RECIPIENT, "account_number": int(ACH_ACCOUNT)}}, "recipient_details.account_number", ACH_ACCOUNT),
        ("AchPaymentRequest", {**ACH, "recipient_details": {**RECIPIENT, "account_number": ACH_ACCOUNT * 2}}, "recipient_details.account_number", ACH_ACCOUNT),
        ("WirePaymentRequest", {**WIRE, "beneficiary": {**BENEFICIARY, "account_number": IBAN * 2}}, "beneficiary.account_number", IBAN),
        # a neighbour is wrong, and the whole nested object is the input of the error
        ("AchPaymentRequest", {**ACH, "recipient_details": {k: v for k, v in RECIPIENT.items() if k != "account_type"}}, "recipient_details.account_type", ACH_ACCOUNT),
        ("WirePaymentRequest", {**WIRE, "beneficiary": {k: v for k, v in BENEFICIARY.items() if k != "name"}}, "beneficiary.name", IBAN),
        ("AchPaymentRequest", {**ACH, "recipient_details": [RECIPIENT]}, "recipient_details", ACH_ACCOUNT),
        ("AchPaymentRequest", {**ACH, "recipient_details": {**RECIPIENT, "iban": IBAN}}, "recipient_details.iban", IBAN),
        ("WirePaymentRequest", {**WIRE, "beneficiary": {**BENEFICIARY, "bic": "nope"}, "amount": "1.001"}, "beneficiary.bic", IBAN),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field_but_never_show_an_account_number(
    model: str, body: dict[str, Any], field: str, secret: str
) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        getattr(models, model).model_validate(body)
    texts = [
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        caught.value.json(include_input=False),
    ]
    for text in texts:
        assert secret[:6] not in text, text  # not even a prefix: nothing to piece together
    assert field in str(caught.value)


def test_assignment_errors_do_not_show_the_account_number_either() -> None:
    details = models.RecipientDetails.model_validate(RECIPIENT)
    with pytest.raises(pydantic.ValidationError) as caught:
        details.account_number = f"{ACH_ACCOUNT}x"
    assert "account_number" in str(caught.value)
    assert ACH_ACCOUNT not in str(caught.value)


def test_open_enums_keep_unknown_values_and_known_ones_are_members() -> None:
    change = models.StatusChange.model_validate(
        {"status": "P_REVERSED", "at": "2026-11-21T00:00:00Z"}
    )
    assert change.status == "P_REVERSED"
    known = models.StatusChange.model_validate({"status": "P_FAILED", "at": "2026-11-21T00:00:00Z"})
    assert known.status is models.PaymentStatus.P_FAILED


def test_idempotency_key_for_is_stable_and_a_canonical_uuid4() -> None:
    from qbank_connect import idempotency_key_for

    # The value the Celery example produced before the function moved into the library.
    assert idempotency_key_for("pay_invoice", "INV-1042") == "efd6557f-f05b-470c-8d87-c330ec29082f"
    assert idempotency_key_for("a", "bc") != idempotency_key_for("ab", "c")
    key = idempotency_key_for("createAchPayment", "invoice:INV-1042")
    assert uuid.UUID(key).version == 4 and str(uuid.UUID(key)) == key
