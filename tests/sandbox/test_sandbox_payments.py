"""ACH, NACHA files, wires, transfers and Positive Pay issues: behaviour and validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx2
import pytest

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    ACCOUNT_PETTY_CASH,
    ACH_RETURN_R01_ACCOUNT_NUMBER,
    SANDBOX_ROUTING_NUMBER,
    WIRE_FAIL_ACCOUNT_NUMBER,
    WIRE_SLOW_ACCOUNT_NUMBER,
    NachaEntry,
    Sandbox,
    build_ach_file,
)

from ._helpers import START, ach_body, issue_body, new_key, transfer_body, wire_body


def post(http: httpx2.Client, path: str, body: Any, key: str | None = None) -> httpx2.Response:
    return http.post(path, json=body, headers={"Idempotency-Key": key or new_key()})


def balance(sandbox: Sandbox, account: str) -> tuple[Decimal, Decimal]:
    b = sandbox.balances()[account]
    return Decimal(b["available"]), Decimal(b["ledger"])


def txns(http: httpx2.Client, account: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = http.get(
        "/transactions", params={"account_id": account, "limit": 100}
    ).json()["data"]
    return data


def test_ach_is_pending_then_settles_in_the_15_minute_batch(
    http: httpx2.Client, sandbox: Sandbox
) -> None:
    available, ledger = balance(sandbox, ACCOUNT_OPERATING)
    before = len(txns(http, ACCOUNT_OPERATING))
    response = post(http, "/payments/ach", ach_body(amount="125.50", memo="INV-1"))
    assert response.status_code == 202
    payment = response.json()
    assert payment["status"] == "P_PENDING"
    assert payment["type"] == "ach"
    assert payment["amount"] == "125.50"
    assert payment["counterparty"]["account_number_last4"] == "3456"
    assert [h["status"] for h in payment["status_history"]] == ["P_PENDING"]
    # available moves at submission, ledger at settlement
    assert balance(sandbox, ACCOUNT_OPERATING) == (available - Decimal("125.50"), ledger)
    assert len(txns(http, ACCOUNT_OPERATING)) == before

    sandbox.advance(minutes=5)  # 10:12:30, before the 10:15 batch
    assert http.get(f"/payments/{payment['id']}").json()["status"] == "P_PENDING"
    sandbox.advance(minutes=5)
    settled = http.get(f"/payments/{payment['id']}").json()
    assert settled["status"] == "P_COMPLETED"
    assert [h["status"] for h in settled["status_history"]] == [
        "P_PENDING",
        "P_PROCESSING",
        "P_COMPLETED",
    ]
    assert settled["status_history"][-1]["at"] == "2026-11-21T10:15:00.000Z"
    assert balance(sandbox, ACCOUNT_OPERATING) == (
        available - Decimal("125.50"),
        ledger - Decimal("125.50"),
    )
    posted = [t for t in txns(http, ACCOUNT_OPERATING) if t["payment_id"] == payment["id"]]
    assert len(posted) == 1
    assert posted[0]["direction"] == "debit"
    assert posted[0]["amount"] == "125.50"
    assert posted[0]["reference"] == "INV-1"


def test_advance_15_minutes_always_reaches_a_batch(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.advance(minutes=7, seconds=30)  # exactly 10:15:00.000
    payment = post(http, "/payments/ach", ach_body()).json()
    sandbox.advance(minutes=14, seconds=59)
    assert http.get(f"/payments/{payment['id']}").json()["status"] == "P_PENDING"
    sandbox.advance(seconds=1)
    assert http.get(f"/payments/{payment['id']}").json()["status"] == "P_COMPLETED"


def test_ach_debit_collects_at_settlement(http: httpx2.Client, sandbox: Sandbox) -> None:
    available, ledger = balance(sandbox, ACCOUNT_PAYROLL)
    payment = post(
        http,
        "/payments/ach",
        ach_body(source_account_id=ACCOUNT_PAYROLL, direction="debit", amount="80.00"),
    ).json()
    assert balance(sandbox, ACCOUNT_PAYROLL) == (available, ledger)
    sandbox.advance(minutes=15)
    assert balance(sandbox, ACCOUNT_PAYROLL) == (available + 80, ledger + 80)
    assert [
        t["direction"] for t in txns(http, ACCOUNT_PAYROLL) if t["payment_id"] == payment["id"]
    ] == ["credit"]


def test_ach_future_effective_date_waits_for_that_day(
    http: httpx2.Client, sandbox: Sandbox
) -> None:
    payment = post(http, "/payments/ach", ach_body(effective_date="2026-11-23")).json()
    sandbox.advance(hours=12)  # tokens expire meanwhile: look at the books directly
    assert sandbox.payment(payment["id"])["status"] == "P_PENDING"
    sandbox.advance(days=2)
    settled = sandbox.payment(payment["id"])
    assert settled["status"] == "P_COMPLETED"
    assert settled["status_history"][-1]["at"] == "2026-11-23T00:00:00.000Z"


def test_ach_return_magic_account_number(http: httpx2.Client, sandbox: Sandbox) -> None:
    available, ledger = balance(sandbox, ACCOUNT_OPERATING)
    recipient = dict(ach_body()["recipient_details"], account_number=ACH_RETURN_R01_ACCOUNT_NUMBER)
    payment = post(
        http, "/payments/ach", ach_body(recipient_details=recipient, amount="10.00")
    ).json()
    assert payment["status"] == "P_PENDING"
    sandbox.advance(minutes=15)
    failed = http.get(f"/payments/{payment['id']}").json()
    assert failed["status"] == "P_FAILED"
    assert failed["failure_code"] == "R01"
    assert failed["failure_reason"]
    assert balance(sandbox, ACCOUNT_OPERATING) == (available, ledger)  # hold released
    assert not [t for t in txns(http, ACCOUNT_OPERATING) if t["payment_id"] == payment["id"]]


def test_wire_is_real_time(http: httpx2.Client, sandbox: Sandbox) -> None:
    available, ledger = balance(sandbox, ACCOUNT_OPERATING)
    response = post(http, "/payments/wire", wire_body(amount="25000.00"))
    assert response.status_code == 201
    payment = response.json()
    assert payment["type"] == "wire"
    assert payment["status"] == "P_COMPLETED"
    assert payment["counterparty"]["bic"] == "NWBKGB2L"
    assert balance(sandbox, ACCOUNT_OPERATING) == (available - 25000, ledger - 25000)
    assert [
        t["amount"] for t in txns(http, ACCOUNT_OPERATING) if t["payment_id"] == payment["id"]
    ] == ["25000.00"]


def test_wire_failure_magic_value(http: httpx2.Client, sandbox: Sandbox) -> None:
    before = balance(sandbox, ACCOUNT_OPERATING)
    beneficiary = {
        "name": "Closed Co",
        "account_number": WIRE_FAIL_ACCOUNT_NUMBER,
        "routing_number": SANDBOX_ROUTING_NUMBER,
    }
    response = post(http, "/payments/wire", wire_body(beneficiary=beneficiary))
    assert response.status_code == 201
    payment = response.json()
    assert payment["status"] == "P_FAILED"
    assert payment["failure_code"] == "AC04"
    assert balance(sandbox, ACCOUNT_OPERATING) == before


def test_slow_wire_magic_value(http: httpx2.Client, sandbox: Sandbox) -> None:
    beneficiary = {
        "name": "Slow Bank Co",
        "account_number": WIRE_SLOW_ACCOUNT_NUMBER,
        "routing_number": SANDBOX_ROUTING_NUMBER,
    }
    payment = post(
        http, "/payments/wire", wire_body(beneficiary=beneficiary, amount="10.00")
    ).json()
    assert payment["status"] == "P_PROCESSING"
    sandbox.advance(seconds=60)
    assert http.get(f"/payments/{payment['id']}").json()["status"] == "P_COMPLETED"


def test_transfer_moves_both_balances(http: httpx2.Client, sandbox: Sandbox) -> None:
    src, dst = balance(sandbox, ACCOUNT_OPERATING), balance(sandbox, ACCOUNT_PAYROLL)
    response = post(http, "/transfers", transfer_body(amount="5000.00"))
    assert response.status_code == 201
    payment = response.json()
    assert payment["type"] == "transfer"
    assert payment["status"] == "P_COMPLETED"
    assert payment["counterparty"]["account_id"] == ACCOUNT_PAYROLL
    assert balance(sandbox, ACCOUNT_OPERATING) == (src[0] - 5000, src[1] - 5000)
    assert balance(sandbox, ACCOUNT_PAYROLL) == (dst[0] + 5000, dst[1] + 5000)
    assert [
        t["direction"] for t in txns(http, ACCOUNT_PAYROLL) if t["payment_id"] == payment["id"]
    ] == ["credit"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/payments/ach", ach_body(source_account_id=ACCOUNT_PETTY_CASH, amount="500.01")),
        ("/payments/wire", wire_body(source_account_id=ACCOUNT_PETTY_CASH, amount="1000.00")),
        ("/transfers", transfer_body(source_account_id=ACCOUNT_PETTY_CASH, amount="9999.99")),
    ],
)
def test_insufficient_funds_is_a_stored_422(
    http: httpx2.Client, sandbox: Sandbox, path: str, body: dict[str, Any]
) -> None:
    key = new_key()
    first = post(http, path, body, key)
    assert first.status_code == 422
    assert first.json()["error_code"] == "ERR_FUNDS_001"
    assert balance(sandbox, ACCOUNT_PETTY_CASH) == (Decimal("500.00"), Decimal("500.00"))
    again = post(http, path, body, key)
    assert again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert sandbox.ledger() == []


def test_exactly_the_available_amount_is_fine(http: httpx2.Client) -> None:
    assert (
        post(
            http, "/transfers", transfer_body(source_account_id=ACCOUNT_PETTY_CASH, amount="500.00")
        ).status_code
        == 201
    )


def _recipient(**overrides: Any) -> dict[str, Any]:
    return dict(ach_body()["recipient_details"], **overrides)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (ach_body(amount=125.5), "amount"),
        (ach_body(amount="12.345"), "amount"),
        (ach_body(amount="0.00"), "amount"),
        (ach_body(amount="-1.00"), "amount"),
        (ach_body(memo=None), "memo"),
        (ach_body(memo="x" * 81), "memo"),
        (ach_body(sec_code="XYZ"), "sec_code"),
        (ach_body(direction="sideways"), "direction"),
        (ach_body(currency="EUR"), "currency"),
        (ach_body(effective_date="2026-02-30"), "effective_date"),
        (
            ach_body(recipient_details=_recipient(routing_number="123456789")),
            "recipient_details.routing_number",
        ),
        (
            ach_body(recipient_details=_recipient(routing_number="12345678")),
            "recipient_details.routing_number",
        ),
        (
            ach_body(recipient_details=_recipient(account_number="123")),
            "recipient_details.account_number",
        ),
        (
            ach_body(recipient_details=_recipient(account_number="1" * 18)),
            "recipient_details.account_number",
        ),
        (ach_body(recipient_details=_recipient(name="N" * 23)), "recipient_details.name"),
        (
            ach_body(recipient_details=_recipient(account_type="loan")),
            "recipient_details.account_type",
        ),
        ({k: v for k, v in ach_body().items() if k != "effective_date"}, "effective_date"),
        ({k: v for k, v in ach_body().items() if k != "recipient_details"}, "recipient_details"),
    ],
)
def test_ach_validation(
    http: httpx2.Client, sandbox: Sandbox, body: dict[str, Any], field: str
) -> None:
    response = post(http, "/payments/ach", body)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["error_code"] == "ERR_VAL_001"
    assert field in [d["field"] for d in payload["details"]]
    assert sandbox.ledger() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/payments/wire",
            wire_body(beneficiary={"name": "X", "account_number": "1"}),
            "beneficiary",
        ),
        (
            "/payments/wire",
            wire_body(beneficiary={"name": "X", "account_number": "1", "bic": "nwbkgb2l"}),
            "beneficiary.bic",
        ),
        ("/payments/wire", wire_body(currency="usd"), "currency"),
        ("/payments/wire", wire_body(purpose="p" * 141), "purpose"),
        (
            "/payments/wire",
            wire_body(beneficiary={"name": "X", "account_number": "1" * 35, "bic": "NWBKGB2L"}),
            "beneficiary.account_number",
        ),
        (
            "/transfers",
            transfer_body(destination_account_id=ACCOUNT_OPERATING),
            "destination_account_id",
        ),
        ("/transfers", transfer_body(amount="1.5.0"), "amount"),
        ("/positivepay/issues", issue_body(check_number="12a"), "check_number"),
        ("/positivepay/issues", issue_body(void="yes"), "void"),
        ("/positivepay/issues", issue_body(payee_name="p" * 81), "payee_name"),
        ("/positivepay/issues", issue_body(issue_date=None), "issue_date"),
        ("/positivepay/issues", [], "body"),
    ],
)
def test_other_validation(http: httpx2.Client, path: str, body: Any, field: str) -> None:
    response = post(http, path, body)
    assert response.status_code == 400, response.text
    assert field in [d["field"] for d in response.json()["details"]]


def test_body_must_be_json(http: httpx2.Client) -> None:
    response = http.post(
        "/transfers",
        content=b"{not json",
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    response = http.post(
        "/transfers",
        content=b"a=b",
        headers={"Idempotency-Key": new_key(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/payments/ach", ach_body(source_account_id="acc_nope"), "source_account_id"),
        ("/payments/wire", wire_body(source_account_id="acc_nope"), "source_account_id"),
        ("/transfers", transfer_body(destination_account_id="acc_nope"), "destination_account_id"),
        ("/positivepay/issues", issue_body(account_id="acc_nope"), "account_id"),
    ],
)
def test_unknown_accounts_are_404(http: httpx2.Client, path: str, body: Any, field: str) -> None:
    response = post(http, path, body)
    assert response.status_code == 404
    assert response.json()["error_code"] == "ERR_ACC_001"


def test_check_issue(http: httpx2.Client, sandbox: Sandbox) -> None:
    response = post(http, "/positivepay/issues", issue_body())
    assert response.status_code == 202
    issue = response.json()
    assert issue["status"] == "RECEIVED"
    assert issue["void"] is False
    assert issue["amount"] == "740.00"
    void = post(http, "/positivepay/issues", issue_body(void=True)).json()
    assert void["void"] is True


def test_late_issue_clears_a_no_issue_record_exception(http: httpx2.Client) -> None:
    exceptions = http.get("/positivepay/exceptions").json()["data"]
    target = next(e for e in exceptions if e["reason"] == "NO_ISSUE_RECORD")
    post(
        http,
        "/positivepay/issues",
        issue_body(
            account_id=target["account_id"],
            check_number=target["check_number"],
            amount=target["presented_amount"],
        ),
    )
    remaining = http.get("/positivepay/exceptions").json()["data"]
    assert target["id"] not in [e["id"] for e in remaining]
    assert len(remaining) == len(exceptions) - 1


def upload(
    http: httpx2.Client, data: bytes, key: str | None = None, **fields: str
) -> httpx2.Response:
    return http.post(
        "/payments/ach/files",
        files={"file": ("payroll.ach", data, "text/plain")},
        data=fields,
        headers={"Idempotency-Key": key or new_key()},
    )


ENTRIES = [
    NachaEntry(SANDBOX_ROUTING_NUMBER, "000111222", Decimal("1500.00"), "ALICE SMITH"),
    NachaEntry(
        SANDBOX_ROUTING_NUMBER, "000333444", Decimal("2250.75"), "BOB JONES", account_type="savings"
    ),
    NachaEntry(SANDBOX_ROUTING_NUMBER, ACH_RETURN_R01_ACCOUNT_NUMBER, Decimal("99.00"), "RETURNED"),
    NachaEntry(
        SANDBOX_ROUTING_NUMBER, "000555666", Decimal("40.00"), "CUSTOMER DEBIT", direction="debit"
    ),
]


def test_nacha_upload_creates_one_payment_per_entry(http: httpx2.Client, sandbox: Sandbox) -> None:
    response = upload(
        http,
        build_ach_file(ENTRIES, effective_date=START.date()),
        source_account_id=ACCOUNT_PAYROLL,
    )
    assert response.status_code == 202, response.text
    ach_file = response.json()
    assert ach_file["entry_count"] == 4
    assert ach_file["total_credit"] == "3849.75"
    assert ach_file["total_debit"] == "40.00"
    assert ach_file["file_name"] == "payroll.ach"
    assert len(ach_file["payment_ids"]) == 4
    payments = [http.get(f"/payments/{pid}").json() for pid in ach_file["payment_ids"]]
    assert {p["status"] for p in payments} == {"P_PENDING"}
    assert {p["ach_file_id"] for p in payments} == {ach_file["id"]}
    assert {p["source_account_id"] for p in payments} == {ACCOUNT_PAYROLL}
    sandbox.advance(minutes=15)
    statuses = [http.get(f"/payments/{pid}").json()["status"] for pid in ach_file["payment_ids"]]
    assert statuses == ["P_COMPLETED", "P_COMPLETED", "P_FAILED", "P_COMPLETED"]


def test_nacha_upload_defaults_to_the_operating_account(http: httpx2.Client) -> None:
    ach_file = upload(http, build_ach_file(ENTRIES[:1])).json()
    payment = http.get(f"/payments/{ach_file['payment_ids'][0]}").json()
    assert payment["source_account_id"] == ACCOUNT_OPERATING


def test_nacha_upload_without_line_breaks(http: httpx2.Client) -> None:
    data = build_ach_file(ENTRIES[:2]).replace(b"\n", b"")
    assert upload(http, data).json()["entry_count"] == 2


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.replace(b"\n", b"X\n", 1),  # a 95-character record
        lambda d: b"5" + d[1:],  # first record is not a file header
        lambda d: b"",
        lambda d: d.replace(b"123456780", b"123456789"),  # bad ABA check digit in entries
        lambda d: b"\n".join(line for line in d.split(b"\n") if not line.startswith(b"9")),
        lambda d: "é".encode() + d[2:],
    ],
)
def test_malformed_nacha_is_400(http: httpx2.Client, sandbox: Sandbox, mutate: Any) -> None:
    response = upload(http, mutate(build_ach_file(ENTRIES[:2])))
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "ERR_VAL_001"
    assert response.json()["details"]
    assert sandbox.ledger() == []


def test_nacha_upload_needs_a_file_part(http: httpx2.Client) -> None:
    response = http.post(
        "/payments/ach/files",
        data={"source_account_id": ACCOUNT_OPERATING},
        files={"other": ("x", b"y")},
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "file"
    response = http.post(
        "/payments/ach/files", json={"file": "x"}, headers={"Idempotency-Key": new_key()}
    )
    assert response.status_code == 400


def test_nacha_upload_insufficient_funds(http: httpx2.Client, sandbox: Sandbox) -> None:
    response = upload(http, build_ach_file(ENTRIES[:1]), source_account_id=ACCOUNT_PETTY_CASH)
    assert response.status_code == 422
    assert response.json()["error_code"] == "ERR_FUNDS_001"
    assert sandbox.ledger() == []


def test_nacha_upload_unknown_account(http: httpx2.Client) -> None:
    response = upload(http, build_ach_file(ENTRIES[:1]), source_account_id="acc_nope")
    assert response.status_code == 404


def test_streamed_chunked_upload_over_socket(sandbox: Sandbox) -> None:
    from ._helpers import get_token

    data = build_ach_file(ENTRIES)
    boundary = "sandbox-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.ach"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Any:
        yield head
        for i in range(0, len(data), 100):
            yield data[i : i + 100]
        yield tail

    with sandbox.serve() as server, httpx2.Client(base_url=server.base_url) as http:
        token = get_token(http)
        response = http.post(
            "/payments/ach/files",
            content=chunks(),
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": new_key(),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert response.status_code == 202, response.text
        assert response.json()["entry_count"] == 4
