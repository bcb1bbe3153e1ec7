"""A pytest plugin for your own tests: the QBank sandbox and clients wired to it, as fixtures.

Installed with the package (a ``pytest11`` entry point), so the fixtures are there in any test
of a project that depends on ``qbank-connect``; nothing to import::

    def test_pays_the_invoice(qbank_client, qbank_sandbox):
        payment = qbank_client.transfers.create(request={
            "source_account_id": "acc_operating", "destination_account_id": "acc_payroll",
            "amount": "10.00"})
        assert qbank_sandbox.payment(payment.id)["status"] == "P_COMPLETED"

Fixtures (each test gets its own sandbox, with its own accounts and ledger):

* ``qbank_sandbox``: a fresh :class:`~qbank_connect.sandbox.Sandbox` whose clock is frozen at
  ``qbank_sandbox_start`` (override that fixture to choose the moment); ``advance()`` moves it.
* ``qbank_client`` / ``async_qbank_client``: a ``QBankConnect`` / ``AsyncQBankConnect`` talking
  to it in process (no socket), with the demo credentials. The async one works under any event
  loop (pytest-asyncio, anyio, trio).
* ``qbank_sandbox_server``: the same sandbox over a loopback socket
  (``qbank_sandbox_server.base_url``), for code that builds its own client or another process.

The plugin costs nothing to a test run that does not use it: this module imports only pytest;
the SDK and the sandbox are imported when a fixture is first used. Disable it with
``-p no:qbank_connect.testing``. See ``docs/testing.md``.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._async.client import AsyncQBankConnect
    from ._sync.client import QBankConnect
    from .sandbox import Sandbox, SandboxServer

__all__ = [
    "DEFAULT_START",
    "async_qbank_client",
    "qbank_client",
    "qbank_sandbox",
    "qbank_sandbox_server",
    "qbank_sandbox_start",
]

DEFAULT_START = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)
"""Where the sandbox clock is frozen by default: a Monday, 14:00 UTC (banks are open)."""


@pytest.fixture
def qbank_sandbox_start() -> datetime:
    """The moment the sandbox clock is frozen at; override it in your conftest.py.

    Example::

        @pytest.fixture
        def qbank_sandbox_start():
            return datetime(2026, 12, 24, 16, 0, tzinfo=timezone.utc)
    """
    return DEFAULT_START


@pytest.fixture
def qbank_sandbox(qbank_sandbox_start: datetime) -> Generator[Sandbox, None, None]:
    """A fresh sandbox for this test, its clock frozen at ``qbank_sandbox_start``.

    Example::

        def test_settles(qbank_client, qbank_sandbox):
            payment = qbank_client.payments.create_ach(request=ach)
            qbank_sandbox.advance(minutes=15)          # the next ACH batch runs
            assert qbank_client.payments.get(payment.id).is_final
    """
    from .sandbox import Sandbox

    with Sandbox(start=qbank_sandbox_start) as sandbox:
        yield sandbox


@pytest.fixture
def qbank_client(qbank_sandbox: Sandbox) -> Generator[QBankConnect, None, None]:
    """A blocking client wired to ``qbank_sandbox`` in process, with the demo credentials.

    Example::

        def test_balance(qbank_client):
            assert qbank_client.balances.get("acc_operating").currency == "USD"
    """
    from ._sync.client import QBankConnect
    from .sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    http = qbank_sandbox.http_client()
    try:
        with QBankConnect(
            DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=qbank_sandbox.base_url, http_client=http
        ) as client:
            yield client
    finally:
        http.close()


@pytest.fixture
def async_qbank_client(qbank_sandbox: Sandbox) -> Generator[AsyncQBankConnect, None, None]:
    """An async client wired to ``qbank_sandbox`` in process, with the demo credentials.

    A plain (not async) fixture: it holds no connection and no event loop, so it works with
    pytest-asyncio, anyio and trio alike.

    Example::

        @pytest.mark.anyio
        async def test_balance(async_qbank_client):
            balance = await async_qbank_client.balances.get("acc_operating")
    """
    from ._async.client import AsyncQBankConnect
    from .sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    # The in-process transport owns no socket, so the client needs no event loop to close.
    yield AsyncQBankConnect(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        base_url=qbank_sandbox.base_url,
        http_client=qbank_sandbox.async_http_client(),
    )


@pytest.fixture
def qbank_sandbox_server(qbank_sandbox: Sandbox) -> Generator[SandboxServer, None, None]:
    """``qbank_sandbox`` served on a free loopback port (``.base_url``), closed after the test.

    Example::

        def test_app(qbank_sandbox_server, monkeypatch):
            monkeypatch.setenv("QBANK_BASE_URL", qbank_sandbox_server.base_url)
    """
    with qbank_sandbox.serve(port=0) as server:
        yield server
