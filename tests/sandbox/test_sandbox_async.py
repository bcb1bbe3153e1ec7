"""The async transport and the socket server with httpx2.AsyncClient, on asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote_plus

import anyio
import httpx2
import pytest

from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    NachaEntry,
    Sandbox,
    build_ach_file,
)

from ._helpers import ach_body, new_key, transfer_body

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def client(sandbox: Sandbox, mode: str) -> AsyncIterator[httpx2.AsyncClient]:
    if mode == "inprocess":
        async with sandbox.async_http_client() as http:
            yield http
    else:
        with sandbox.serve() as server:
            async with httpx2.AsyncClient(base_url=server.base_url) as http:
                yield http


async def authorize(http: httpx2.AsyncClient) -> None:
    response = await http.post(
        "/token",
        data={"grant_type": "client_credentials"},
        auth=httpx2.BasicAuth(quote_plus(DEMO_CLIENT_ID), quote_plus(DEMO_CLIENT_SECRET)),
    )
    assert response.status_code == 200
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


@pytest.mark.parametrize("mode", ["inprocess", "socket"])
async def test_async_end_to_end(sandbox: Sandbox, mode: str) -> None:
    async with client(sandbox, mode) as http:
        assert (await http.get("/accounts")).status_code == 401
        await authorize(http)
        ids = []
        cursor = None
        while True:
            params = {"account_id": ACCOUNT_OPERATING, "limit": 30}
            if cursor:
                params["cursor"] = cursor
            page = (await http.get("/transactions", params=params)).json()
            ids += [t["id"] for t in page["data"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(ids) == len(set(ids)) == 70
        key = new_key()
        payment = (
            await http.post("/payments/ach", json=ach_body(), headers={"Idempotency-Key": key})
        ).json()
        replay = await http.post("/payments/ach", json=ach_body(), headers={"Idempotency-Key": key})
        assert replay.headers["idempotent-replayed"] == "true"
        sandbox.advance(minutes=15)
        assert (await http.get(f"/payments/{payment['id']}")).json()["status"] == "P_COMPLETED"
        upload = await http.post(
            "/payments/ach/files",
            files={
                "file": (
                    "f.ach",
                    build_ach_file(
                        [
                            NachaEntry(
                                "123456780", "000111222", __import__("decimal").Decimal("1.00"), "A"
                            )
                        ]
                    ),
                )
            },
            headers={"Idempotency-Key": new_key()},
        )
        assert upload.status_code == 202
        sandbox.faults.fail_next("createTransfer", status=503, retry_after=0)
        assert (
            await http.post("/transfers", json=transfer_body(), headers={"Idempotency-Key": key})
        ).status_code == 503


async def test_async_concurrent_distinct_keys(sandbox: Sandbox) -> None:
    async with sandbox.async_http_client() as http:
        await authorize(http)
        statuses: list[int] = []

        async def send() -> None:
            response = await http.post(
                "/transfers",
                json=transfer_body(amount="1.00"),
                headers={"Idempotency-Key": new_key()},
            )
            statuses.append(response.status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(send)
        assert statuses == [201] * 50
        assert len(sandbox.ledger()) == 50
        assert sandbox.balances()[ACCOUNT_OPERATING]["ledger"] == "2499950.00"
