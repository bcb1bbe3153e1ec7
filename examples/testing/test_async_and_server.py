"""The async client fixture, and the sandbox over a loopback socket."""

import httpx2
import pytest

from qbank_connect import QBankConnect
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


@pytest.mark.anyio
async def test_async_client(async_qbank_client):
    balance = await async_qbank_client.balances.get("acc_reserve")
    assert str(balance.available) == "10000000.00"


def test_server_for_code_that_builds_its_own_client(qbank_sandbox_server, qbank_sandbox):
    with QBankConnect(
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=qbank_sandbox_server.base_url
    ) as client:
        accounts = list(client.accounts.list())
    assert {a.id for a in accounts} >= {"acc_operating", "acc_payroll"}
    assert qbank_sandbox.token_requests == 1
    assert httpx2.get(qbank_sandbox_server.base_url + "/accounts").status_code == 401


def test_frozen_clock(qbank_sandbox):
    first = qbank_sandbox.now()
    assert qbank_sandbox.now() == first
    assert qbank_sandbox.advance(minutes=15) > first
