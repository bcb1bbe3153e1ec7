"""The SDK cannot silently fall behind spec/openapi.yaml: every operation and schema is covered."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

import qbank_connect.models as models
from qbank_connect import AsyncQBankConnect, QBankConnect

from .mock_api import (
    account_json,
    ach_file_json,
    balance_json,
    check_issue_json,
    nacha_file,
    payment_json,
)

SPEC = yaml.safe_load((Path(__file__).parent.parent / "spec" / "openapi.yaml").read_text())
PAYMENT_ID = "5f0c1d2e-1111-4111-8111-111111111111"
PAGE: dict[str, Any] = {"data": [], "next_cursor": None}
ACH = {
    "source_account_id": "acc_operating",
    "recipient_details": {
        "name": "Acme",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "1.00",
    "effective_date": "2026-11-23",
}

# operationId -> (method on the client, how to call it, the canned 2xx answer)
OPERATIONS: dict[str, tuple[str, Callable[[Any], Any], int, Any]] = {
    "createToken": ("authenticate", lambda m: m(), 200, None),
    "listAccounts": ("accounts.list", lambda m: m(limit=5), 200, PAGE),
    "getAccount": ("accounts.get", lambda m: m("acc_1"), 200, account_json()),
    "getBalance": ("balances.get", lambda m: m("acc_operating"), 200, balance_json()),
    "listTransactions": (
        "transactions.list",
        lambda m: m(account_id="acc_operating", from_date="2026-11-01"),
        200,
        PAGE,
    ),
    "listPayments": ("payments.list", lambda m: m(status="P_FAILED"), 200, PAGE),
    "getPayment": ("payments.get", lambda m: m(PAYMENT_ID), 200, payment_json()),
    "createAchPayment": ("payments.create_ach", lambda m: m(request=ACH), 202, payment_json()),
    "uploadAchFile": ("payments.upload_ach_file", lambda m: m(nacha_file()), 202, ach_file_json()),
    "createWirePayment": (
        "payments.create_wire",
        lambda m: m(
            request={
                "source_account_id": "acc_operating",
                "amount": "5.00",
                "beneficiary": {
                    "name": "B",
                    "account_number": "12345678",
                    "routing_number": "021000021",
                },
            }
        ),
        202,
        payment_json(type="wire"),
    ),
    "createTransfer": (
        "transfers.create",
        lambda m: m(
            request={
                "source_account_id": "acc_operating",
                "destination_account_id": "acc_payroll",
                "amount": "5.00",
            }
        ),
        202,
        payment_json(type="transfer"),
    ),
    "createCheckIssue": (
        "positive_pay.create_issue",
        lambda m: m(
            request={
                "account_id": "acc_operating",
                "check_number": "1",
                "amount": "5.00",
                "issue_date": "2026-11-20",
                "payee_name": "P",
            }
        ),
        202,
        check_issue_json(),
    ),
    "listCheckExceptions": ("positive_pay.list_exceptions", lambda m: m(), 200, PAGE),
}


def spec_operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def resolve(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_operation_id_has_an_sdk_method() -> None:
    missing = sorted(set(spec_operations()) - set(OPERATIONS))
    assert missing == [], f"operations in spec/openapi.yaml with no SDK method: {missing}"
    unknown = sorted(set(OPERATIONS) - set(spec_operations()))
    assert unknown == [], f"SDK methods for operations the spec no longer has: {unknown}"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_both_clients_have_the_method(operation_id: str) -> None:
    name = OPERATIONS[operation_id][0]
    sync = resolve(QBankConnect(token="t"), name)
    async_ = resolve(AsyncQBankConnect(token="t"), name)
    assert callable(sync) and not inspect.iscoroutinefunction(sync)
    # List calls return an AsyncPaginator (awaitable and async-iterable) around the coroutine.
    assert inspect.iscoroutinefunction(inspect.unwrap(async_))
    assert (sync.__doc__ or "").strip(), f"{name} has no docstring"
    assert "Example" in (sync.__doc__ or "") or name == "authenticate"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_method_sends_the_specified_request(operation_id: str) -> None:
    method, path, operation = spec_operations()[operation_id]
    name, call, status, answer = OPERATIONS[operation_id]
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path.endswith("/token"):
            return httpx2.Response(
                200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 60}
            )
        return httpx2.Response(status, json=answer)

    client = QBankConnect(
        client_id="id",
        client_secret="secret",
        base_url="https://api.qbank.test/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    call(resolve(client, name))

    request = seen[-1]
    assert request.method == method
    pattern = "^/v1" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"
    assert re.match(pattern, request.url.path), (request.url.path, path)
    declared = {p.get("$ref", "").rsplit("/", 1)[-1] for p in operation.get("parameters", [])}
    if "IdempotencyKey" in declared:
        assert re.fullmatch(
            SPEC["components"]["parameters"]["IdempotencyKey"]["schema"]["pattern"],
            request.headers["idempotency-key"],
        )
    else:
        assert "idempotency-key" not in request.headers
    if operation.get("security") == []:
        assert request.headers["authorization"].startswith("Basic ")
    else:
        assert request.headers["authorization"] == "Bearer t"
        scopes = operation["security"][0]["oauth2"]
        assert scopes, operation_id


@pytest.mark.parametrize("schema_name", sorted(SPEC["components"]["schemas"]))
def test_every_schema_has_a_model_with_all_its_fields(schema_name: str) -> None:
    assert hasattr(models, schema_name), f"qbank_connect.models has no {schema_name}"
    schema = SPEC["components"]["schemas"][schema_name]
    model = getattr(models, schema_name)
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for part in [schema, *schema.get("allOf", [])]:
        if "$ref" in part:
            ref = SPEC["components"]["schemas"][part["$ref"].rsplit("/", 1)[-1]]
            properties.update(ref.get("properties", {}))
            required.update(ref.get("required", []))
        properties.update(part.get("properties", {}))
        required.update(part.get("required", []))
    if not properties:
        return  # a scalar or enumeration: its existence is the check
    fields = model.model_fields
    assert sorted(set(properties) - set(fields)) == [], f"{schema_name} is missing fields"
    for name in required:
        assert name in fields
    if schema_name.endswith("Request") or schema_name in ("RecipientDetails", "BeneficiaryDetails"):
        for name, field in fields.items():
            assert field.is_required() == (name in required), f"{schema_name}.{name}"
