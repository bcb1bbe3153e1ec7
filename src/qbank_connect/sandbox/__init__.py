"""An embedded, stateful QBank Connect sandbox: run the SDK with no network, no credentials.

Example::

    from qbank_connect.sandbox import Sandbox

    with Sandbox() as sandbox:
        with sandbox.http_client() as http:          # in process, no socket
            ...
        with sandbox.serve(port=0) as server:        # over a loopback socket
            print(server.base_url)

Or from a shell: ``python -m qbank_connect.sandbox --port 8080``. See ``docs/sandbox.md``.
"""

from __future__ import annotations

from ._auth import ALL_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SandboxClient
from ._faults import CHAOS_KINDS, ERROR_KINDS, Faults
from ._http import Request, Response
from ._nacha import NachaEntry, build_ach_file, parse_ach_file
from ._operations import OPERATION_SCOPES, TRANSACTIONAL_OPERATIONS
from ._outbox import WebhookAttempt, WebhookDelivery
from ._rules import (
    ACH_BATCH_MINUTES,
    ACH_RETURN_ACCOUNT_NUMBERS,
    WIRE_FAIL_ACCOUNT_NUMBER,
    WIRE_SLOW_ACCOUNT_NUMBER,
    WIRE_SLOW_SECONDS,
)
from ._sandbox import (
    DEFAULT_BASE_URL,
    DEMO_READONLY_CLIENT_ID,
    DEMO_READONLY_CLIENT_SECRET,
    DEMO_WEBHOOK_SECRET,
    LedgerEntry,
    Sandbox,
)
from ._seed import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    ACCOUNT_PETTY_CASH,
    ACCOUNT_RESERVE,
    SANDBOX_ROUTING_NUMBER,
)
from ._server import SandboxServer
from ._transport import AsyncSandboxTransport, SandboxTransport

ACH_RETURN_R01_ACCOUNT_NUMBER = "000000000"
"""Recipient account number whose ACH payment is returned with ``R01`` at settlement."""

__all__ = [
    "ACCOUNT_OPERATING",
    "ACCOUNT_PAYROLL",
    "ACCOUNT_PETTY_CASH",
    "ACCOUNT_RESERVE",
    "ACH_BATCH_MINUTES",
    "ACH_RETURN_ACCOUNT_NUMBERS",
    "ACH_RETURN_R01_ACCOUNT_NUMBER",
    "ALL_SCOPES",
    "CHAOS_KINDS",
    "DEFAULT_BASE_URL",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_READONLY_CLIENT_ID",
    "DEMO_READONLY_CLIENT_SECRET",
    "DEMO_WEBHOOK_SECRET",
    "ERROR_KINDS",
    "OPERATION_SCOPES",
    "SANDBOX_ROUTING_NUMBER",
    "TRANSACTIONAL_OPERATIONS",
    "WIRE_FAIL_ACCOUNT_NUMBER",
    "WIRE_SLOW_ACCOUNT_NUMBER",
    "WIRE_SLOW_SECONDS",
    "AsyncSandboxTransport",
    "Faults",
    "LedgerEntry",
    "NachaEntry",
    "Request",
    "Response",
    "Sandbox",
    "SandboxClient",
    "SandboxServer",
    "SandboxTransport",
    "WebhookAttempt",
    "WebhookDelivery",
    "build_ach_file",
    "parse_ach_file",
]
