"""Accounts, balances, transactions, payments and Positive Pay exceptions: reads and paging."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2
import pytest

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    ACCOUNT_PETTY_CASH,
    ACCOUNT_RESERVE,
    DEMO_CLIENT_ID,
    Sandbox,
)

from ._helpers import START, ach_body, get_token, new_key

RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def all_pages(http: httpx2.Client, path: str, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        query = dict(params)
        if cursor:
            query["cursor"] = cursor
        response = http.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def test_accounts_and_audit_fields(http: httpx2.Client) -> None:
    response = http.get("/accounts")
    body = response.json()
    ids = [a["id"] for a in body["data"]]
    assert set(ids) == {ACCOUNT_OPERATING, ACCOUNT_PAYROLL, ACCOUNT_RESERVE, ACCOUNT_PETTY_CASH}
    assert body["next_cursor"] is None
    for account in body["data"]:
        assert account["actor"] == DEMO_CLIENT_ID
        assert account["request_id"] == response.headers["request-id"]
        assert RFC3339_MS.match(account["timestamp"])
        assert re.fullmatch(r"\d{4}", account["account_number_last4"])
    uuid.UUID(response.headers["request-id"])


def test_accounts_paging_with_small_limit(http: httpx2.Client) -> None:
    pages = all_pages(http, "/accounts", {"limit": 3})
    assert [len(p) for p in pages] == [3, 1]


def test_get_account_and_balance(http: httpx2.Client) -> None:
    account = http.get(f"/accounts/{ACCOUNT_PETTY_CASH}").json()
    assert account["name"] == "Petty Cash"
    balance = http.get(f"/balances/{ACCOUNT_PETTY_CASH}").json()
    assert balance["available"] == "500.00"
    assert balance["ledger"] == "500.00"
    assert balance["as_of"] == "2026-11-21T10:07:30.000Z"


@pytest.mark.parametrize("path", ["/accounts/acc_nope", "/balances/acc_nope"])
def test_unknown_account_is_404(http: httpx2.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 404
    assert response.json()["error_code"] == "ERR_ACC_001"


def test_transactions_need_several_pages_and_are_newest_first(http: httpx2.Client) -> None:
    pages = all_pages(http, "/transactions", {"account_id": ACCOUNT_OPERATING})
    assert len(pages) >= 3
    assert all(len(p) == 25 for p in pages[:-1])
    items = [t for page in pages for t in page]
    ids = [t["id"] for t in items]
    assert len(ids) == len(set(ids))
    postings = [t["posting_date"] for t in items]
    assert postings == sorted(postings, reverse=True)
    for t in items:
        assert t["account_id"] == ACCOUNT_OPERATING
        assert t["transaction_date"][:10] != t["posting_date"][:10]
        assert t["value_date"] != t["transaction_date"][:10]
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", t["amount"])


def test_transactions_date_filters(http: httpx2.Client) -> None:
    everything = [
        t
        for p in all_pages(http, "/transactions", {"account_id": ACCOUNT_OPERATING, "limit": 100})
        for t in p
    ]
    low, high = "2026-10-25", "2026-11-05"
    filtered = [
        t
        for p in all_pages(
            http,
            "/transactions",
            {"account_id": ACCOUNT_OPERATING, "from_date": low, "to_date": high, "limit": 7},
        )
        for t in p
    ]
    expected = [t["id"] for t in everything if low <= t["posting_date"][:10] <= high]
    assert [t["id"] for t in filtered] == expected
    assert 0 < len(expected) < len(everything)


def test_cursor_must_repeat_the_filters(http: httpx2.Client) -> None:
    first = http.get("/transactions", params={"account_id": ACCOUNT_OPERATING}).json()
    response = http.get(
        "/transactions", params={"account_id": ACCOUNT_PAYROLL, "cursor": first["next_cursor"]}
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "cursor"
    response = http.get(
        "/transactions", params={"account_id": ACCOUNT_OPERATING, "cursor": "garbage!"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "account_id"),
        ({"account_id": ACCOUNT_OPERATING, "limit": "0"}, "limit"),
        ({"account_id": ACCOUNT_OPERATING, "limit": "101"}, "limit"),
        ({"account_id": ACCOUNT_OPERATING, "limit": "ten"}, "limit"),
        ({"account_id": ACCOUNT_OPERATING, "from_date": "2026-13-01"}, "from_date"),
        ({"account_id": ACCOUNT_OPERATING, "to_date": "21/11/2026"}, "to_date"),
    ],
)
def test_transaction_params_are_validated(
    http: httpx2.Client, params: dict[str, str], field: str
) -> None:
    response = http.get("/transactions", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "ERR_VAL_001"
    assert field in [d["field"] for d in body["details"]]


def test_transactions_unknown_account_is_404(http: httpx2.Client) -> None:
    response = http.get("/transactions", params={"account_id": "acc_nope"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "ERR_ACC_001"


def test_limit_100_returns_everything_for_small_accounts(http: httpx2.Client) -> None:
    body = http.get("/transactions", params={"account_id": ACCOUNT_RESERVE, "limit": 100}).json()
    assert len(body["data"]) == 8
    assert body["next_cursor"] is None


def test_payments_list_filters_and_pages(http: httpx2.Client, sandbox: Sandbox) -> None:
    created = []
    for index in range(5):
        source = ACCOUNT_OPERATING if index % 2 == 0 else ACCOUNT_PAYROLL
        response = http.post(
            "/payments/ach",
            json=ach_body(source_account_id=source, amount=f"{index + 1}.00"),
            headers={"Idempotency-Key": new_key()},
        )
        assert response.status_code == 202
        created.append(response.json()["id"])
    pages = all_pages(http, "/payments", {"limit": 2})
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [p["id"] for page in pages for p in page] == created[::-1]
    payroll = [
        p["id"]
        for page in all_pages(http, "/payments", {"account_id": ACCOUNT_PAYROLL})
        for p in page
    ]
    assert payroll == [created[3], created[1]]
    assert all_pages(http, "/payments", {"status": "P_COMPLETED"}) == [[]]
    sandbox.advance(minutes=15)
    completed = all_pages(http, "/payments", {"status": "P_COMPLETED", "limit": 4})
    assert sum(len(p) for p in completed) == 5


def test_payments_are_private_to_their_client(http: httpx2.Client, sandbox: Sandbox) -> None:
    from qbank_connect.sandbox import DEMO_READONLY_CLIENT_ID, DEMO_READONLY_CLIENT_SECRET

    payment = http.post(
        "/payments/ach", json=ach_body(), headers={"Idempotency-Key": new_key()}
    ).json()
    other = get_token(http, client_id=DEMO_READONLY_CLIENT_ID, secret=DEMO_READONLY_CLIENT_SECRET)
    headers = {"Authorization": f"Bearer {other}"}
    assert http.get(f"/payments/{payment['id']}", headers=headers).status_code == 404
    assert http.get("/payments", headers=headers).json()["data"] == []


def test_unknown_payment_is_404(http: httpx2.Client) -> None:
    for payment_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = http.get(f"/payments/{payment_id}")
        assert response.status_code == 404
        assert response.json()["error_code"] == "ERR_PAY_001"


def test_check_exceptions(http: httpx2.Client) -> None:
    body = http.get("/positivepay/exceptions").json()
    reasons = {e["reason"] for e in body["data"]}
    assert {"AMOUNT_MISMATCH", "NO_ISSUE_RECORD"} <= reasons
    no_issue = next(e for e in body["data"] if e["reason"] == "NO_ISSUE_RECORD")
    assert no_issue["issued_amount"] is None
    payroll = http.get("/positivepay/exceptions", params={"account_id": ACCOUNT_PAYROLL}).json()
    assert [e["account_id"] for e in payroll["data"]] == [ACCOUNT_PAYROLL]
    pages = all_pages(http, "/positivepay/exceptions", {"limit": 1})
    assert len(pages) == len(body["data"])


def test_seed_is_deterministic() -> None:
    def snapshot(seed: int) -> list[Any]:
        with Sandbox(start=START, seed=seed) as sandbox, sandbox.http_client() as http:
            http.headers["Authorization"] = f"Bearer {get_token(http)}"
            data = http.get(
                "/transactions", params={"account_id": ACCOUNT_OPERATING, "limit": 100}
            ).json()["data"]
            return [(t["id"], t["amount"], t["posting_date"]) for t in data]

    assert snapshot(1) == snapshot(1)
    assert snapshot(1) != snapshot(2)


def first_payment_id(seed: int | None) -> str:
    with Sandbox(start=START, seed=seed) as sandbox, sandbox.http_client() as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        response = http.post(
            "/payments/ach", json=ach_body(), headers={"Idempotency-Key": new_key()}
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])


def test_ids_are_unique_per_sandbox_unless_a_seed_is_given() -> None:
    """The first payment of every fresh sandbox used to be the same id (2f266218-...)."""
    unseeded = {first_payment_id(None) for _ in range(5)}
    assert len(unseeded) == 5
    assert first_payment_id(7) == first_payment_id(7)
    assert first_payment_id(7) != first_payment_id(8)


def test_unknown_route_and_method(http: httpx2.Client) -> None:
    assert http.get("/nothing-here").status_code == 404
    response = http.delete("/accounts")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert http.get(http.base_url.copy_with(path="/v2/accounts")).status_code == 404
