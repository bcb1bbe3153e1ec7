# Generated from tests/_async/test_resources.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Every operation: method, path, query, body, and the model it returns."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx2
import pytest

from qbank_connect.errors import QBankConnectionError, QBankError, QBankPaymentWaitTimeout
from qbank_connect.models import (
    AchPaymentRequest,
    PaymentStatus,
)

from ..mock_api import (
    MockAPI,
    account_json,
    ach_file_json,
    audit,
    balance_json,
    check_issue_json,
    error,
    json_body,
    nacha_file,
    payment_json,
)
from .conftest import make_client

PAYMENT_ID = "5f0c1d2e-1111-4111-8111-111111111111"


def transaction_json(i: int) -> dict[str, object]:
    return {
        "id": f"tx_{i}",
        "account_id": "acc_operating",
        "amount": "10.00",
        "currency": "USD",
        "direction": "debit",
        "description": "fee",
        "transaction_date": "2026-11-20T09:00:00.000Z",
        "value_date": "2026-11-21",
        "posting_date": "2026-11-21T23:00:00.000Z",
        **audit(),
    }


ACH_FILE = ach_file_json()


def test_accounts_pagination_walks_every_page_lazily(api: MockAPI) -> None:
    api.route(
        "GET",
        "/accounts",
        httpx2.Response(
            200, json={"data": [account_json(1), account_json(2)], "next_cursor": "c2"}
        ),
        httpx2.Response(200, json={"data": [account_json(3)], "next_cursor": "c3"}),
        httpx2.Response(200, json={"data": [account_json(4)], "next_cursor": None}),
    )
    client = make_client(api)
    page = client.accounts.list(limit=2)
    assert [a.id for a in page.data] == ["acc_1", "acc_2"]
    assert page.has_next_page() and page.next_cursor == "c2"
    assert len(api.calls("GET", "/accounts")) == 1  # nothing fetched ahead

    ids = [account.id for account in page]
    assert ids == ["acc_1", "acc_2", "acc_3", "acc_4"]
    queries = [dict(r.url.params) for r in api.calls("GET", "/accounts")]
    assert queries == [
        {"limit": "2"},
        {"limit": "2", "cursor": "c2"},
        {"limit": "2", "cursor": "c3"},
    ]


def test_iter_pages_and_get_next_page(api: MockAPI) -> None:
    api.route(
        "GET",
        "/transactions",
        httpx2.Response(200, json={"data": [transaction_json(1)], "next_cursor": "n"}),
        httpx2.Response(200, json={"data": [transaction_json(2)], "next_cursor": None}),
    )
    client = make_client(api)
    page = client.transactions.list(
        account_id="acc_operating", from_date=date(2026, 11, 1), to_date="2026-11-21"
    )
    pages = [p for p in page.iter_pages()]
    assert [len(p.data) for p in pages] == [1, 1]
    assert not pages[-1].has_next_page()
    with pytest.raises(QBankError, match="last page"):
        pages[-1].get_next_page()
    first, second = api.calls("GET", "/transactions")
    assert dict(first.url.params) == {
        "account_id": "acc_operating",
        "from_date": "2026-11-01",
        "to_date": "2026-11-21",
    }
    assert dict(second.url.params) == {**dict(first.url.params), "cursor": "n"}


def test_transaction_dates_are_typed_and_distinct(api: MockAPI) -> None:
    api.route(
        "GET",
        "/transactions",
        httpx2.Response(200, json={"data": [transaction_json(1)], "next_cursor": None}),
    )
    client = make_client(api)
    (tx,) = (client.transactions.list(account_id="acc_operating")).data
    assert tx.value_date == date(2026, 11, 21)
    assert tx.transaction_date.isoformat() == "2026-11-20T09:00:00+00:00"
    assert tx.posting_date.hour == 23
    assert tx.amount == Decimal("10.00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"account_id": "acc_operating", "from_date": "21/11/2026"}, "from_date"),
        ({"account_id": "acc_operating", "to_date": "2026-02-30"}, "to_date"),
        ({"account_id": "acc_operating", "limit": 0}, "limit"),
        ({"account_id": "acc_operating", "limit": 101}, "limit"),
        ({"account_id": ""}, "account_id"),
        ({"account_id": 42}, "account_id"),
    ],
)
def test_bad_list_arguments_fail_before_sending(
    api: MockAPI, kwargs: dict[str, object], message: str
) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match=message):
        client.transactions.list(**kwargs)  # type: ignore[arg-type]
    assert api.requests == []


def test_account_and_balance_gets(api: MockAPI) -> None:
    api.route("GET", "/accounts/acc_1", httpx2.Response(200, json=account_json(1)))
    api.route("GET", "/balances/acc_1", httpx2.Response(200, json=balance_json("acc_1")))
    client = make_client(api)
    account = client.accounts.get("acc_1")
    balance = client.balances.get("acc_1")
    assert account.id == "acc_1" and account.type == "checking"
    assert balance.available == Decimal("125000.50")


@pytest.mark.parametrize("bad", ["", "../admin", "a/b", "a b", "x" * 129, None, 7])
def test_bad_path_ids_fail_before_sending(api: MockAPI, bad: object) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match="account_id"):
        client.balances.get(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="payment_id"):
        client.payments.get(str(bad))
    assert api.requests == []


def test_create_ach_sends_the_contract_body(api: MockAPI) -> None:
    api.route("POST", "/payments/ach", httpx2.Response(202, json=payment_json()))
    client = make_client(api)
    payment = client.payments.create_ach(
        request=AchPaymentRequest(
            source_account_id="acc_operating",
            recipient_details={  # type: ignore[arg-type]
                "name": "Acme Supplies",
                "routing_number": "021000021",
                "account_number": "123456789",
                "account_type": "checking",
            },
            amount=1000.50,  # type: ignore[arg-type]
            effective_date="2026-11-23",  # type: ignore[arg-type]
            memo="INV-1001",
        )
    )
    assert payment.status == PaymentStatus.P_PENDING and not payment.is_final
    (request,) = api.calls("POST", "/payments/ach")
    assert request.headers["content-type"] == "application/json"
    assert json_body(request) == {
        "source_account_id": "acc_operating",
        "recipient_details": {
            "name": "Acme Supplies",
            "routing_number": "021000021",
            "account_number": "123456789",
            "account_type": "checking",
        },
        "amount": "1000.50",
        "effective_date": "2026-11-23",
        "memo": "INV-1001",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "10.001"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": float("inf")}, "amount"),
        ({"effective_date": "tomorrow"}, "effective_date"),
        (
            {
                "recipient_details": {
                    "name": "x",
                    "routing_number": "021000022",
                    "account_number": "1234",
                    "account_type": "checking",
                }
            },
            "routing_number",
        ),
        (
            {
                "recipient_details": {
                    "name": "x",
                    "routing_number": "021000021",
                    "account_number": "12",
                    "account_type": "checking",
                }
            },
            "account_number",
        ),
        (
            {
                "recipient_details": {
                    "name": "n" * 23,
                    "routing_number": "021000021",
                    "account_number": "1234",
                    "account_type": "checking",
                }
            },
            "name",
        ),
        ({"sec_code": "XYZ"}, "sec_code"),
        ({"memo": None, "surprise": 1}, "surprise"),
    ],
)
def test_bad_ach_fails_before_sending_naming_the_field(
    api: MockAPI, change: dict[str, object], field: str
) -> None:
    body: dict[str, object] = {
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
    body.update(change)
    client = make_client(api)
    with pytest.raises(ValueError, match=field):
        client.payments.create_ach(request=body)
    assert api.requests == []


def test_request_must_be_the_right_model_or_a_dict(api: MockAPI) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match="AchPaymentRequest"):
        client.payments.create_ach(request=["not", "a", "request"])  # type: ignore[arg-type]
    assert api.requests == []


def test_wire_transfer_and_positive_pay(api: MockAPI) -> None:
    api.route("POST", "/payments/wire", httpx2.Response(202, json=payment_json(type="wire")))
    api.route("POST", "/transfers", httpx2.Response(202, json=payment_json(type="transfer")))
    issue = check_issue_json()
    api.route("POST", "/positivepay/issues", httpx2.Response(202, json=issue))
    client = make_client(api)
    wire = client.payments.create_wire(
        request={
            "source_account_id": "acc_operating",
            "amount": Decimal("25000"),
            "currency": "USD",
            "beneficiary": {
                "name": "Globex GmbH",
                "account_number": "DE89370400440532013000",
                "bic": "COBADEFFXXX",
            },
        }
    )
    transfer = client.transfers.create(
        request={
            "source_account_id": "acc_operating",
            "destination_account_id": "acc_payroll",
            "amount": "2500",
        }
    )
    check = client.positive_pay.create_issue(
        request={
            "account_id": "acc_operating",
            "check_number": "10042",
            "amount": 1250,
            "issue_date": date(2026, 11, 20),
            "payee_name": "Acme",
        }
    )
    assert (wire.type, transfer.type, check.check_number) == ("wire", "transfer", "10042")
    assert json_body(api.calls("POST", "/payments/wire")[0])["amount"] == "25000.00"
    assert json_body(api.calls("POST", "/transfers")[0])["amount"] == "2500.00"
    assert json_body(api.calls("POST", "/positivepay/issues")[0]) == {
        "account_id": "acc_operating",
        "check_number": "10042",
        "amount": "1250.00",
        "issue_date": "2026-11-20",
        "payee_name": "Acme",
    }
    for path in ("/payments/wire", "/transfers", "/positivepay/issues"):
        assert api.calls("POST", path)[0].headers["idempotency-key"]


def test_list_payments_and_exceptions(api: MockAPI) -> None:
    api.route(
        "GET",
        "/payments",
        httpx2.Response(200, json={"data": [payment_json()], "next_cursor": None}),
    )
    exception = {
        "id": "exc_1",
        "account_id": "acc_operating",
        "check_number": "991",
        "presented_amount": "500.00",
        "issued_amount": None,
        "reason": "NO_ISSUE_RECORD",
        "presented_date": "2026-11-20",
        "decision_deadline": "2026-11-21T18:00:00.000Z",
        "status": "PENDING_DECISION",
        **audit(),
    }
    api.route(
        "GET",
        "/positivepay/exceptions",
        httpx2.Response(200, json={"data": [exception], "next_cursor": None}),
    )
    client = make_client(api)
    payments = client.payments.list(account_id="acc_operating", status=PaymentStatus.P_PENDING)
    exceptions = client.positive_pay.list_exceptions(account_id="acc_operating", limit=5)
    assert payments.data[0].id == PAYMENT_ID
    assert exceptions.data[0].reason == "NO_ISSUE_RECORD"
    assert dict(api.calls("GET", "/payments")[0].url.params) == {
        "account_id": "acc_operating",
        "status": "P_PENDING",
    }
    assert dict(api.calls("GET", "/positivepay/exceptions")[0].url.params) == {
        "account_id": "acc_operating",
        "limit": "5",
    }


def test_get_payment_status_is_an_alias_of_get(api: MockAPI) -> None:
    api.route("GET", f"/payments/{PAYMENT_ID}", httpx2.Response(200, json=payment_json()))
    client = make_client(api)
    assert (client.payments.get_payment_status(PAYMENT_ID)).id == PAYMENT_ID
    assert (client.payments.get(PAYMENT_ID)).id == PAYMENT_ID
    assert len(api.calls("GET", f"/payments/{PAYMENT_ID}")) == 2


def test_wait_polls_until_final(api: MockAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    api.route(
        "GET",
        f"/payments/{PAYMENT_ID}",
        httpx2.Response(200, json=payment_json(status="P_PENDING")),
        httpx2.Response(200, json=payment_json(status="P_PROCESSING")),
        httpx2.Response(200, json=payment_json(status="P_COMPLETED")),
    )
    client = make_client(api)
    payment = client.payments.wait(PAYMENT_ID, poll_interval=0.001, timeout=10)
    assert payment.status == PaymentStatus.P_COMPLETED and payment.is_completed
    assert len(api.calls("GET", f"/payments/{PAYMENT_ID}")) == 3


def test_wait_times_out_with_the_last_payment(api: MockAPI) -> None:
    api.route("GET", f"/payments/{PAYMENT_ID}", httpx2.Response(200, json=payment_json()))
    client = make_client(api)
    with pytest.raises(QBankPaymentWaitTimeout) as info:
        client.payments.wait(PAYMENT_ID, poll_interval=0.01, timeout=0.05)
    assert info.value.payment is not None and info.value.payment.status == "P_PENDING"
    assert info.value.payment_id == PAYMENT_ID


def test_upload_ach_file_streams_multipart(api: MockAPI, tmp_path: Path) -> None:
    api.route("POST", "/payments/ach/files", httpx2.Response(202, json=ACH_FILE))
    path = tmp_path / "payroll.ach"
    path.write_bytes(nacha_file())
    client = make_client(api)
    result = client.payments.upload_ach_file(path, source_account_id="acc_payroll")
    assert result.entry_count == 2 and result.total_credit == Decimal("200.00")
    (request,) = api.calls("POST", "/payments/ach/files")
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.headers["idempotency-key"]
    body = api.bodies[api.requests.index(request)]
    assert nacha_file() in body
    assert b'name="source_account_id"' in body and b"acc_payroll" in body
    assert b'filename="payroll.ach"' in body


def test_upload_retry_resends_the_whole_file(api: MockAPI, sleeps: list[float]) -> None:
    api.route(
        "POST",
        "/payments/ach/files",
        error(503, "ERR_SYS_001"),
        httpx2.Response(202, json=ACH_FILE),
    )
    client = make_client(api)
    client.payments.upload_ach_file(io.BytesIO(nacha_file()))
    first, second = [
        api.bodies[i] for i, r in enumerate(api.requests) if r.url.path.endswith("/ach/files")
    ]
    assert nacha_file() in first and nacha_file() in second
    keys = {r.headers["idempotency-key"] for r in api.calls("POST", "/payments/ach/files")}
    assert len(keys) == 1


def test_upload_replayed_after_a_401_resends_the_whole_file(api: MockAPI) -> None:
    api.route(
        "POST",
        "/payments/ach/files",
        error(401, "ERR_AUTH_001"),
        httpx2.Response(202, json=ACH_FILE),
    )
    client = make_client(api)
    client.payments.upload_ach_file(io.BytesIO(nacha_file()))
    bodies = [
        api.bodies[i] for i, r in enumerate(api.requests) if r.url.path.endswith("/ach/files")
    ]
    assert len(bodies) == 2
    assert all(nacha_file() in body for body in bodies)


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_non_seekable_upload_is_not_retried_silently(api: MockAPI, sleeps: list[float]) -> None:
    api.route(
        "POST",
        "/payments/ach/files",
        httpx2.ConnectError("reset"),
        httpx2.Response(202, json=ACH_FILE),
    )
    client = make_client(api)
    with pytest.raises(QBankConnectionError, match="cannot be rewound") as info:
        client.payments.upload_ach_file(_Pipe(nacha_file()))
    assert info.value.idempotency_key
    assert len(api.calls("POST", "/payments/ach/files")) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"5" + b"0" * 93 + b"\n", "'1' file header"),
        (b"1" + b"0" * 50 + b"\n" + b"6" * 94, "94 characters"),
        (b"1hello world", "94 characters"),
        (b"hello world", "NACHA"),
    ],
)
def test_upload_rejects_non_nacha_content(api: MockAPI, content: bytes, message: str) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match=message):
        client.payments.upload_ach_file(content)
    assert api.requests == []


def test_upload_rejects_missing_file(api: MockAPI, tmp_path: Path) -> None:
    client = make_client(api)
    with pytest.raises(ValueError, match="cannot open"):
        client.payments.upload_ach_file(tmp_path / "missing.ach")


def test_raw_response_of_a_list_parses_to_a_page(api: MockAPI) -> None:
    api.route(
        "GET",
        "/accounts",
        httpx2.Response(
            200,
            json={"data": [account_json(1)], "next_cursor": "c2"},
            headers={"Request-Id": "list-1"},
        ),
        httpx2.Response(200, json={"data": [account_json(2)], "next_cursor": None}),
    )
    client = make_client(api)
    raw = client.with_raw_response.accounts.list()
    assert (
        raw.request_id == "list-1" and raw.retries_taken == 0 and raw.elapsed.total_seconds() >= 0
    )
    page = raw.parse()
    assert [a.id for a in page] == ["acc_1", "acc_2"]


def test_unknown_fields_and_enum_values_are_kept(api: MockAPI) -> None:
    api.route(
        "GET",
        f"/payments/{PAYMENT_ID}",
        httpx2.Response(200, json=payment_json(status="P_ON_HOLD", type="rtp", risk_score=3)),
    )
    client = make_client(api)
    payment = client.payments.get(PAYMENT_ID)
    assert payment.status == "P_ON_HOLD" and payment.type == "rtp"
    assert not payment.is_final
    assert payment.model_extra == {"risk_score": 3}
    assert json.loads(payment.model_dump_json())["risk_score"] == 3
