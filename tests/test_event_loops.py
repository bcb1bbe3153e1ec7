"""One ``AsyncQBankConnect`` used from successive event loops: ``asyncio.run`` twice, and
``trio.run`` then ``asyncio.run``. Each run works, closes the connections it opened before its
loop ends (no socket left open, no ``ResourceWarning``), nothing hangs (every run is bounded),
and ``aclose()`` from a later loop closes cleanly instead of raising "Event loop is closed".

The sandbox runs in another process, so the sockets this process holds are the client's alone."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import anyio
import pytest
import trio

from qbank_connect import AsyncQBankConnect
from qbank_connect.errors import QBankError
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from .sandbox_process import sandbox_process

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts sockets in /proc"),
]

RUN_LIMIT = 20.0  # seconds for any one event loop run


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with sandbox_process() as url:
        yield url


@pytest.fixture
def leaks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """ResourceWarnings raised anywhere (also in ``__del__``, where they are "unraisable")."""
    found: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: found.append(repr(u.exc_value)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        yield found
        gc.collect()


def open_sockets() -> int:
    gc.collect()
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def bounded(run: Callable[[], Any]) -> Any:
    """``run()`` (one whole event loop) in a thread; fail if it outlives RUN_LIMIT."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = run()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(RUN_LIMIT)
    assert not thread.is_alive(), f"the event loop run hung for {RUN_LIMIT} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def client_for(base_url: str) -> AsyncQBankConnect:
    return AsyncQBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, timeout=10)


async def read_balances(client: AsyncQBankConnect) -> Decimal:
    with anyio.fail_after(RUN_LIMIT - 5):
        async with anyio.create_task_group() as tg:  # a few connections, not just one
            for _ in range(4):
                tg.start_soon(client.balances.get, ACCOUNT_OPERATING)
        return (await client.balances.get(ACCOUNT_OPERATING)).available


def test_asyncio_run_twice(base_url: str, leaks: list[str]) -> None:
    baseline = open_sockets()
    client = client_for(base_url)
    first = bounded(lambda: asyncio.run(read_balances(client)))
    assert open_sockets() == baseline  # the first loop's connections closed with it
    second = bounded(lambda: asyncio.run(read_balances(client)))
    assert first == second
    assert open_sockets() == baseline
    bounded(lambda: asyncio.run(client.aclose()))  # from a third loop: no "loop is closed"
    assert open_sockets() == baseline
    assert leaks == []


def test_trio_run_then_asyncio_run(base_url: str, leaks: list[str]) -> None:
    baseline = open_sockets()
    client = client_for(base_url)
    on_trio = bounded(lambda: trio.run(read_balances, client))
    assert open_sockets() == baseline
    on_asyncio = bounded(lambda: asyncio.run(read_balances(client)))
    assert on_trio == on_asyncio
    bounded(lambda: trio.run(client.aclose))
    assert open_sockets() == baseline
    assert leaks == []


def test_closed_in_the_same_loop_and_unusable_afterwards(base_url: str, leaks: list[str]) -> None:
    baseline = open_sockets()
    client = client_for(base_url)

    async def use_and_close() -> Decimal:
        async with client:
            return await read_balances(client)

    bounded(lambda: asyncio.run(use_and_close()))
    with pytest.raises(QBankError, match="closed"):  # fails clearly, in any later loop
        bounded(lambda: trio.run(client.balances.get, ACCOUNT_OPERATING))
    assert open_sockets() == baseline
    assert leaks == []
