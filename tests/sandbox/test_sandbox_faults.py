"""Fault injection: errors, latency (with client read timeouts), commit-then-drop and chaos."""

from __future__ import annotations

import time
from collections import Counter

import anyio
import httpx2
import pytest

from qbank_connect.sandbox import ACCOUNT_OPERATING, Sandbox

from ._helpers import START, ach_body, get_token, get_token_async, new_key, transfer_body


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [
        (500, "ERR_SYS_000", None),
        (502, "ERR_SYS_002", None),
        (503, "ERR_SYS_001", "2"),
        (504, "ERR_SYS_004", None),
        (429, "ERR_RATE_001", "2"),
    ],
)
def test_fail_next_each_status(
    http: httpx2.Client, sandbox: Sandbox, status: int, code: str, retry_after: str | None
) -> None:
    sandbox.faults.fail_next("createTransfer", times=2, status=status, retry_after=2)
    key = new_key()
    for _ in range(2):
        response = http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": key})
        assert response.status_code == status
        assert response.json()["error_code"] == code
        assert response.json()["request_id"] == response.headers["request-id"]
        assert response.headers.get("retry-after") == retry_after
    assert sandbox.ledger() == []
    assert (
        http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": key}).status_code
        == 201
    )
    assert sandbox.faults.injected == {str(status): 2}


def test_wildcard_and_other_operations(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next("getBalance", status=500)
    assert http.get("/accounts").status_code == 200
    assert http.get(f"/balances/{ACCOUNT_OPERATING}").status_code == 500
    assert http.get(f"/balances/{ACCOUNT_OPERATING}").status_code == 200
    sandbox.faults.fail_next("*", times=2, status=502)
    assert http.get("/accounts").status_code == 502
    assert http.post("/token", data={"grant_type": "client_credentials"}).status_code == 502
    assert http.get("/accounts").status_code == 200


def test_fail_next_rejects_bad_arguments(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.faults.fail_next(status=418)
    with pytest.raises(ValueError):
        sandbox.faults.chaos(kinds=["teapot"])


def test_latency_within_the_timeout(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add_latency("getBalance", seconds=0.2, times=1)
    started = time.monotonic()
    assert http.get(f"/balances/{ACCOUNT_OPERATING}").status_code == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    assert http.get(f"/balances/{ACCOUNT_OPERATING}").status_code == 200
    assert time.monotonic() - started < 0.15
    assert sandbox.faults.injected == {"latency": 1}


def test_read_timeout_but_the_work_still_happens(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.faults.add_latency("createAchPayment", seconds=0.3, times=1)
    key = new_key()
    with pytest.raises(httpx2.ReadTimeout):
        http.post(
            "/payments/ach",
            json=ach_body(),
            headers={"Idempotency-Key": key},
            timeout=httpx2.Timeout(5.0, read=0.1),
        )
    # still in flight: the retry is told so
    retry = http.post("/payments/ach", json=ach_body(), headers={"Idempotency-Key": key})
    assert retry.status_code == 409
    time.sleep(0.35)
    replay = http.post("/payments/ach", json=ach_body(), headers={"Idempotency-Key": key})
    assert replay.status_code == 202
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == retry.json()["transaction_id"]
    assert len(sandbox.ledger()) == 1


def test_commit_then_drop(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.faults.drop_after_commit("createAchPayment")
    key = new_key()
    with pytest.raises(httpx2.RemoteProtocolError):
        http.post("/payments/ach", json=ach_body(), headers={"Idempotency-Key": key})
    assert len(sandbox.ledger()) == 1  # executed
    replay = http.post("/payments/ach", json=ach_body(), headers={"Idempotency-Key": key})
    assert replay.status_code == 202
    assert replay.headers["idempotent-replayed"] == "true"
    assert len(sandbox.ledger()) == 1
    assert sandbox.faults.injected == {"drop": 1}


def test_clear_removes_rules(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.faults.fail_next("listAccounts", times=5)
    sandbox.faults.add_latency("listAccounts", seconds=5)
    sandbox.faults.clear()
    assert http.get("/accounts").status_code == 200
    assert sandbox.faults.injected == {}


def _chaos_run(seed: int) -> tuple[list[str], dict[str, int], int]:
    outcomes: list[str] = []
    with Sandbox(start=START) as sandbox, sandbox.http_client() as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        sandbox.faults.chaos(rate=0.5, seed=seed, latency=0.001)
        keys = [new_key() for _ in range(30)]
        for key in keys:
            for _attempt in range(10):  # a retrying client: every key lands exactly once
                try:
                    response = http.post(
                        "/payments/ach",
                        json=ach_body(amount="1.00"),
                        headers={"Idempotency-Key": key},
                    )
                except httpx2.RemoteProtocolError:
                    outcomes.append("drop")
                    continue
                outcomes.append(str(response.status_code))
                if response.status_code == 202:
                    break
        assert http.get("/accounts").status_code == 200  # reads are not in the chaos set
        by_key = sandbox.payments_by_key()
        assert sorted(by_key) == sorted(keys)
        assert all(len(ids) == 1 for ids in by_key.values())
        return outcomes, sandbox.faults.injected, len(sandbox.ledger())


def test_chaos_is_seeded_and_never_duplicates() -> None:
    first = _chaos_run(seed=3)
    assert first == _chaos_run(seed=3)
    outcomes, injected, count = first
    assert count == 30
    assert {"500", "502", "503", "504", "429", "latency", "drop"} & set(injected)
    assert sum(injected.values()) >= 10
    assert Counter(outcomes)["drop"] == injected.get("drop", 0)
    assert _chaos_run(seed=4)[0] != outcomes


def test_chaos_kinds_subset(http: httpx2.Client, sandbox: Sandbox) -> None:
    sandbox.faults.chaos(rate=1.0, kinds=["503"], seed=1)
    assert (
        http.post(
            "/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()}
        ).status_code
        == 503
    )
    sandbox.faults.stop_chaos()
    assert (
        http.post(
            "/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()}
        ).status_code
        == 201
    )


@pytest.mark.anyio
async def test_async_latency_does_not_block_the_event_loop(sandbox: Sandbox) -> None:
    sandbox.faults.add_latency("listAccounts", seconds=0.3)
    async with sandbox.async_http_client() as http:
        token = await get_token_async(http)
        http.headers["Authorization"] = f"Bearer {token}"
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await anyio.sleep(0.01)
                ticks += 1

        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            responses = []
            async with anyio.create_task_group() as inner:
                for _ in range(5):
                    inner.start_soon(lambda: _append(responses, http.get("/accounts")))
            tg.cancel_scope.cancel()
        elapsed = time.monotonic() - started
        assert [r.status_code for r in responses] == [200] * 5
        assert 0.3 <= elapsed < 1.0  # concurrent, not 5 x 0.3 s
        assert ticks >= 10


async def _append(responses: list[httpx2.Response], request: object) -> None:
    responses.append(await request)  # type: ignore[misc]


@pytest.mark.anyio
async def test_async_read_timeout_and_drop(sandbox: Sandbox) -> None:
    async with sandbox.async_http_client() as http:
        token = await get_token_async(http)
        http.headers["Authorization"] = f"Bearer {token}"
        sandbox.faults.add_latency("createTransfer", seconds=0.25, times=1)
        key = new_key()
        with pytest.raises(httpx2.ReadTimeout):
            await http.post(
                "/transfers",
                json=transfer_body(),
                headers={"Idempotency-Key": key},
                timeout=httpx2.Timeout(5.0, read=0.05),
            )
        await anyio.sleep(0.3)
        assert len(sandbox.ledger()) == 1
        sandbox.faults.drop_after_commit("createTransfer")
        with pytest.raises(httpx2.RemoteProtocolError):
            await http.post(
                "/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()}
            )
        assert len(sandbox.ledger()) == 2


def test_socket_faults(sandbox: Sandbox) -> None:
    with sandbox.serve() as server, httpx2.Client(base_url=server.base_url) as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        sandbox.faults.drop_after_commit("createTransfer")
        with pytest.raises(httpx2.RemoteProtocolError):
            http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": new_key()})
        assert len(sandbox.ledger()) == 1
        sandbox.faults.add_latency("createTransfer", seconds=0.3, times=1)
        key = new_key()
        with pytest.raises(httpx2.ReadTimeout):
            http.post(
                "/transfers",
                json=transfer_body(),
                headers={"Idempotency-Key": key},
                timeout=httpx2.Timeout(5.0, read=0.1),
            )
        time.sleep(0.3)
        replay = http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": key})
        assert replay.headers["idempotent-replayed"] == "true"
        assert len(sandbox.ledger()) == 2
        sandbox.faults.fail_next("listAccounts", status=503, retry_after=0)
        response = http.get("/accounts")
        assert (response.status_code, response.headers["retry-after"]) == (503, "0")
