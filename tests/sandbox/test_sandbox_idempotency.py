"""Idempotency-Key semantics exactly as spec/openapi.yaml describes them."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx2
import pytest

from qbank_connect.sandbox import (
    DEMO_READONLY_CLIENT_ID,
    NachaEntry,
    Sandbox,
    SandboxClient,
    build_ach_file,
)

from ._helpers import (
    START,
    ach_body,
    get_token,
    get_token_async,
    issue_body,
    new_key,
    transfer_body,
    wire_body,
)


def post(http: httpx2.Client, path: str, body: Any, key: str | None) -> httpx2.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return http.post(path, json=body, headers=headers)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/payments/ach", ach_body(), 202),
        ("/payments/wire", wire_body(), 201),
        ("/transfers", transfer_body(), 201),
        ("/positivepay/issues", issue_body(), 202),
    ],
)
def test_replay_returns_the_first_response(
    http: httpx2.Client, sandbox: Sandbox, path: str, body: Any, status: int
) -> None:
    key = new_key()
    first = post(http, path, body, key)
    assert first.status_code == status
    assert "idempotent-replayed" not in first.headers
    # same body, other key order and whitespace
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    second = http.post(
        path,
        content=reordered,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert second.status_code == status
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["request-id"] != first.headers["request-id"]
    if path != "/positivepay/issues":
        assert len(sandbox.payments_by_key()[key]) == 1
        assert len(sandbox.ledger()) == 1


def test_replay_is_the_stored_answer_not_the_current_state(
    http: httpx2.Client, sandbox: Sandbox
) -> None:
    key = new_key()
    first = post(http, "/payments/ach", ach_body(), key)
    sandbox.advance(minutes=15)
    again = post(http, "/payments/ach", ach_body(), key)
    assert again.json()["status"] == "P_PENDING"
    assert again.content == first.content


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "not-a-uuid",
        "6F9619FF-8B86-4011-B42D-00C04FC964FF",
        "6f9619ff-8b86-1011-b42d-00c04fc964ff",
        "6f9619ff8b864011b42d00c04fc964ff",
    ],
)
def test_missing_or_malformed_key_is_400(
    http: httpx2.Client, sandbox: Sandbox, key: str | None
) -> None:
    response = post(http, "/payments/ach", ach_body(), key)
    assert response.status_code == 400
    assert response.json()["error_code"] == "ERR_IDEM_001"
    assert sandbox.ledger() == []


def test_same_key_other_body_is_422(http: httpx2.Client, sandbox: Sandbox) -> None:
    key = new_key()
    assert post(http, "/payments/ach", ach_body(amount="1.00"), key).status_code == 202
    response = post(http, "/payments/ach", ach_body(amount="2.00"), key)
    assert response.status_code == 422
    assert response.json()["error_code"] == "ERR_IDEM_002"
    response = post(http, "/transfers", transfer_body(), key)  # other operation
    assert response.status_code == 422
    assert response.json()["error_code"] == "ERR_IDEM_002"
    assert len(sandbox.ledger()) == 1


def test_keys_belong_to_their_client(sandbox: Sandbox) -> None:
    sandbox_two = Sandbox(clients=[SandboxClient("a", "sa"), SandboxClient("b", "sb")], start=START)
    with sandbox_two, sandbox_two.http_client() as http:
        key = new_key()
        for client_id, secret in (("a", "sa"), ("b", "sb")):
            http.headers["Authorization"] = (
                f"Bearer {get_token(http, client_id=client_id, secret=secret)}"
            )
            response = post(http, "/payments/ach", ach_body(), key)
            assert response.status_code == 202
            assert "idempotent-replayed" not in response.headers
        assert len(sandbox_two.payments_by_key()[key]) == 2


def test_rejections_before_execution_do_not_consume_the_key(
    http: httpx2.Client, sandbox: Sandbox
) -> None:
    key = new_key()
    # 400 validation
    assert post(http, "/payments/ach", ach_body(amount="1.001"), key).status_code == 400
    # 404 unknown account
    assert post(http, "/payments/ach", ach_body(source_account_id="acc_x"), key).status_code == 404
    # 401 and 403
    assert (
        http.post(
            "/payments/ach",
            json=ach_body(),
            headers={"Idempotency-Key": key, "Authorization": "Bearer x"},
        ).status_code
        == 401
    )
    from qbank_connect.sandbox import DEMO_READONLY_CLIENT_SECRET

    reader = get_token(http, client_id=DEMO_READONLY_CLIENT_ID, secret=DEMO_READONLY_CLIENT_SECRET)
    assert (
        http.post(
            "/payments/ach",
            json=ach_body(),
            headers={"Idempotency-Key": key, "Authorization": f"Bearer {reader}"},
        ).status_code
        == 403
    )
    # injected 503 and 429
    sandbox.faults.fail_next("createAchPayment", status=503, retry_after=0)
    sandbox.faults.fail_next("createAchPayment", status=429, retry_after=0)
    assert post(http, "/payments/ach", ach_body(), key).status_code == 503
    assert post(http, "/payments/ach", ach_body(), key).status_code == 429
    assert sandbox.ledger() == []
    # ... so the retry executes, once
    response = post(http, "/payments/ach", ach_body(), key)
    assert response.status_code == 202
    assert "idempotent-replayed" not in response.headers
    assert sandbox.payments_by_key() == {key: [response.json()["id"]]}


def test_in_flight_duplicate_gets_409_with_the_transaction_id(
    inproc: httpx2.Client, sandbox: Sandbox
) -> None:
    sandbox.faults.add_latency("createAchPayment", seconds=0.3, times=1)
    key = new_key()
    results: dict[str, httpx2.Response] = {}

    def first() -> None:
        results["first"] = post(inproc, "/payments/ach", ach_body(), key)

    thread = threading.Thread(target=first)
    thread.start()
    deadline = wait_until_in_flight(sandbox)
    assert deadline
    conflict = post(inproc, "/payments/ach", ach_body(), key)
    thread.join()
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    problem = conflict.json()
    assert problem["status"] == 409
    assert problem["transaction_id"] == results["first"].json()["id"]
    assert results["first"].status_code == 202
    # a different body while in flight is still a key reuse
    assert len(sandbox.ledger()) == 1


def wait_until_in_flight(sandbox: Sandbox, timeout: float = 2.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sandbox.in_flight_keys():
            return True
        time.sleep(0.005)
    return False


def test_in_flight_over_socket(sandbox: Sandbox) -> None:
    sandbox.faults.add_latency("createTransfer", seconds=0.3, times=1)
    key = new_key()
    with sandbox.serve() as server, httpx2.Client(base_url=server.base_url) as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(post, http, "/transfers", transfer_body(), key)
            assert wait_until_in_flight(sandbox)
            fast = pool.submit(post, http, "/transfers", transfer_body(), key)
            statuses = sorted([slow.result().status_code, fast.result().status_code])
        assert statuses == [201, 409]
        assert fast.result().json()["transaction_id"] == slow.result().json()["id"]


@pytest.mark.parametrize("latency", [0.0, 0.1])
def test_twenty_concurrent_same_key_threads_make_one_payment(
    http: httpx2.Client, sandbox: Sandbox, latency: float
) -> None:
    if latency:
        sandbox.faults.add_latency("createAchPayment", seconds=latency)
    key = new_key()
    barrier = threading.Barrier(20)

    def send(_: int) -> httpx2.Response:
        barrier.wait()
        return post(http, "/payments/ach", ach_body(), key)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(send, range(20)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {202, 409}
    fresh = [
        r for r in responses if r.status_code == 202 and "idempotent-replayed" not in r.headers
    ]
    assert len(fresh) == 1
    assert len(sandbox.payments_by_key()[key]) == 1
    assert len(sandbox.ledger()) == 1
    ids = {r.json()["id"] for r in responses if r.status_code == 202} | {
        r.json()["transaction_id"] for r in responses if r.status_code == 409
    }
    assert ids == {fresh[0].json()["id"]}


@pytest.mark.anyio
async def test_twenty_concurrent_same_key_async(sandbox: Sandbox) -> None:
    sandbox.faults.add_latency("createWirePayment", seconds=0.05)
    key = new_key()
    responses: list[httpx2.Response] = []
    async with sandbox.async_http_client() as http:
        token = await get_token_async(http)
        http.headers["Authorization"] = f"Bearer {token}"

        async def send() -> None:
            responses.append(
                await http.post(
                    "/payments/wire", json=wire_body(), headers={"Idempotency-Key": key}
                )
            )

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(send)
    assert sorted({r.status_code for r in responses}) == [201, 409]
    assert [r.status_code for r in responses].count(201) == 1
    assert len(sandbox.payments_by_key()[key]) == 1


def test_upload_idempotency_compares_file_bytes_and_fields(
    http: httpx2.Client, sandbox: Sandbox
) -> None:
    from decimal import Decimal

    data = build_ach_file([NachaEntry("123456780", "000111222", Decimal("5.00"), "A")])
    other = build_ach_file([NachaEntry("123456780", "000111222", Decimal("6.00"), "A")])
    key = new_key()

    def upload(content: bytes, filename: str = "a.ach", **fields: str) -> httpx2.Response:
        return http.post(
            "/payments/ach/files",
            files={"file": (filename, content)},
            data=fields,
            headers={"Idempotency-Key": key},
        )

    first = upload(data)
    assert first.status_code == 202
    replay = upload(data, filename="renamed.ach")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    assert upload(other).status_code == 422
    assert upload(data, source_account_id="acc_payroll").status_code == 422
    assert len(sandbox.ledger()) == 1


def test_keys_are_retained_for_24_hours(sandbox: Sandbox) -> None:
    with sandbox.http_client() as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        key = new_key()
        first = post(http, "/transfers", transfer_body(), key)
        sandbox.advance(hours=23, minutes=59)
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        assert (
            post(http, "/transfers", transfer_body(), key).headers["idempotent-replayed"] == "true"
        )
        sandbox.advance(minutes=2)
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        later = post(http, "/transfers", transfer_body(), key)
        assert later.status_code == 201
        assert "idempotent-replayed" not in later.headers
        assert later.json()["id"] != first.json()["id"]
