# Generated from tests/_async/test_idempotency.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Idempotency keys: one per logical call, reused by every retry, caller keys used as is."""

from __future__ import annotations

import re
import uuid

import httpx2
import pytest

from qbank_connect.errors import (
    QBankConnectionError,
    QBankIdempotencyConflict,
    QBankInternalServerError,
    QBankTimeoutError,
)

from ..mock_api import MockAPI, error, payment_json
from .conftest import make_client

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
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
ACCEPTED = httpx2.Response(202, json=payment_json())


def keys(api: MockAPI, path: str) -> list[str]:
    return [r.headers["idempotency-key"] for r in api.calls("POST", path)]


def test_generated_key_is_uuid4_and_reused_by_every_retry(
    api: MockAPI, sleeps: list[float]
) -> None:
    api.route(
        "POST",
        "/payments/ach",
        error(503, "ERR_SYS_001"),
        error(500, "ERR_SYS_000"),
        ACCEPTED,
    )
    client = make_client(api)
    client.payments.create_ach(request=ACH)
    sent = keys(api, "/payments/ach")
    assert len(sent) == 3
    assert len(set(sent)) == 1
    assert UUID4.match(sent[0])
    assert uuid.UUID(sent[0]).version == 4
    assert len(sleeps) == 2


def test_each_logical_call_gets_its_own_key(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED)
    client = make_client(api)
    client.payments.create_ach(request=ACH)
    client.payments.create_ach(request=ACH)
    first, second = keys(api, "/payments/ach")
    assert first != second


def test_key_survives_connection_errors_and_timeouts(api: MockAPI, sleeps: list[float]) -> None:
    api.route(
        "POST",
        "/payments/wire",
        httpx2.ConnectError("connection refused"),
        httpx2.ReadTimeout("read timed out"),
        httpx2.Response(202, json=payment_json(type="wire", status="P_COMPLETED")),
    )
    client = make_client(api)
    wire = client.payments.create_wire(
        request={
            "source_account_id": "acc_operating",
            "amount": "25000.00",
            "beneficiary": {"name": "Globex", "account_number": "12345678", "bic": "COBADEFFXXX"},
        }
    )
    assert wire.is_final
    sent = keys(api, "/payments/wire")
    assert len(sent) == 3 and len(set(sent)) == 1


def test_caller_key_is_used_as_is(api: MockAPI, sleeps: list[float]) -> None:
    api.route("POST", "/transfers", error(502, "ERR_SYS_000"), ACCEPTED)
    client = make_client(api)
    key = "9b2f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    client.transfers.create(
        request={
            "source_account_id": "acc_operating",
            "destination_account_id": "acc_payroll",
            "amount": 10,
        },
        idempotency_key=key,
    )
    assert keys(api, "/transfers") == [key, key]


@pytest.mark.parametrize(
    "bad_key",
    [
        "not-a-uuid",
        "9B2F3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D",  # upper case is not canonical
        "9b2f3c4d-5e6f-1a7b-8c9d-0e1f2a3b4c5d",  # version 1
        "9b2f3c4d5e6f4a7b8c9d0e1f2a3b4c5d",  # no hyphens
        "",
        12345,
    ],
)
def test_bad_caller_key_fails_before_any_request(api: MockAPI, bad_key: object) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match="idempotency_key"):
        client.payments.create_ach(request=ACH, idempotency_key=bad_key)  # type: ignore[arg-type]
    assert api.requests == []


def test_key_is_on_the_error_after_retries_run_out(api: MockAPI, sleeps: list[float]) -> None:
    api.route("POST", "/payments/ach", error(503, "ERR_SYS_001"))
    client = make_client(api)
    with pytest.raises(QBankInternalServerError) as info:
        client.payments.create_ach(request=ACH)
    (key,) = set(keys(api, "/payments/ach"))
    assert info.value.idempotency_key == key
    assert info.value.retries_taken == 2
    assert key in str(info.value)


def test_key_is_on_connection_errors(api: MockAPI, sleeps: list[float]) -> None:
    api.route("POST", "/payments/ach", httpx2.ReadTimeout("slow"))
    client = make_client(api, max_retries=1)
    with pytest.raises(QBankTimeoutError) as info:
        client.payments.create_ach(request=ACH)
    assert isinstance(info.value, QBankConnectionError)
    assert info.value.idempotency_key == keys(api, "/payments/ach")[0]


def test_key_is_on_the_raw_response(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", ACCEPTED)
    client = make_client(api)
    raw = client.with_raw_response.payments.create_ach(request=ACH)
    assert raw.idempotency_key == keys(api, "/payments/ach")[0]
    assert raw.status_code == 202
    assert raw.parse().status == "P_PENDING"


def test_conflict_is_never_retried_and_names_the_transaction(
    api: MockAPI, sleeps: list[float]
) -> None:
    problem = {
        "type": "https://docs.qbankconnect.com/problems/idempotency-conflict",
        "title": "Idempotency Violation",
        "status": 409,
        "detail": "There is already a request with this key being processed",
        "transaction_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    }
    api.route(
        "POST",
        "/payments/ach",
        httpx2.Response(
            409,
            json=problem,
            headers={"Content-Type": "application/problem+json", "Request-Id": "r-409"},
        ),
    )
    client = make_client(api)
    with pytest.raises(QBankIdempotencyConflict) as info:
        client.payments.create_ach(request=ACH, conflict_wait=0)
    conflict = info.value
    assert conflict.transaction_id == problem["transaction_id"]
    assert conflict.detail == problem["detail"]
    assert conflict.title == "Idempotency Violation"
    assert conflict.type == problem["type"]
    assert conflict.request_id == "r-409"
    assert conflict.idempotency_key == keys(api, "/payments/ach")[0]
    assert len(api.calls("POST", "/payments/ach")) == 1
    assert sleeps == []


def test_a_conflict_is_followed_with_get_never_another_post(api: MockAPI) -> None:
    transaction_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    problem = {
        "type": "https://docs.qbankconnect.com/problems/idempotency-conflict",
        "title": "Idempotency Violation",
        "status": 409,
        "detail": "There is already a request with this key being processed",
        "transaction_id": transaction_id,
    }
    api.route(
        "POST",
        "/payments/ach",
        httpx2.Response(409, json=problem, headers={"Content-Type": "application/problem+json"}),
    )
    api.route("GET", f"/payments/{transaction_id}", httpx2.Response(200, json=payment_json()))
    client = make_client(api)
    payment = client.payments.create_ach(request=ACH)
    assert payment.status == "P_PENDING"
    assert len(api.calls("POST", "/payments/ach")) == 1
    assert len(api.calls("GET", f"/payments/{transaction_id}")) == 1


def test_reads_carry_no_key(api: MockAPI) -> None:
    api.route("GET", "/payments/5f0c1d2e-1111-4111-8111-111111111111", ACCEPTED)
    client = make_client(api)
    client.payments.get("5f0c1d2e-1111-4111-8111-111111111111")
    assert "idempotency-key" not in api.requests[-1].headers
