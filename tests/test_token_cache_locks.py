"""A token refresh holds no database write lock across ``POST /token`` (issue 17, item 8).

One SQLite file serves as the token cache of one process and the payment journal of another
(as the Store URLs table allows). The sandbox makes the token endpoint slow; while the first
process waits for its token, the second pays with a ``reference`` (journal writes on the same
file) and must succeed. Before the fix the refresh held ``BEGIN IMMEDIATE`` for the whole token
request and the payment failed with ``database is locked`` once SQLite's busy timeout ran out.

The default run lowers the busy timeout of both processes to 2 s (``BUSY_TIMEOUT``, read when a
connection opens) and delays the token 10 s; ``slow`` runs the issue's figures: the default 30 s
busy timeout and a 35 s token request. A refresher SIGKILLed mid-request does not hold the
others up: its lease names a dead process and is taken over at once."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from qbank_connect._config import TOKEN_TIMEOUT
from qbank_connect.sandbox import ACCOUNT_OPERATING, Sandbox

pytestmark = pytest.mark.e2e

SRC = Path(__file__).resolve().parent.parent / "src"
START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
BODY = {
    "source_account_id": ACCOUNT_OPERATING,
    "recipient_details": {
        "name": "Acme Supplies",
        "routing_number": "021000021",
        "account_number": "123456789",
        "account_type": "checking",
    },
    "amount": "12.00",
    "effective_date": "2026-11-23",
}

# argv: base_url, sqlite URL, busy timeout, what ("token" or "pay"), [body, reference]
CHILD = """
import json, logging, sys
import qbank_connect._stores.sqlite as sqlite
from qbank_connect import QBankConnect
from qbank_connect.errors import QBankError
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
base_url, url, busy, what = sys.argv[1:5]
sqlite.BUSY_TIMEOUT = float(busy)
store = {"token_cache": url} if what == "token" else {"journal": url}
print("STARTED", flush=True)
with QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, timeout=120,
                  max_retries=0, **store) as client:
    try:
        if what == "token":
            client.balances.get(ACCOUNT_OPERATING)
        else:
            client.payments.create_ach(request=json.loads(sys.argv[5]), reference=sys.argv[6])
    except QBankError as e:
        print("NAMED", type(e).__name__, e, flush=True)
    else:
        print("OK", flush=True)
"""


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )


def wait_for(condition: object, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(start=START, token_ttl=3600) as sandbox, sandbox.serve() as server:
        yield sandbox, server.base_url


@pytest.mark.parametrize(
    ("busy", "latency"), [(2.0, 10.0), pytest.param(30.0, 35.0, marks=pytest.mark.slow)]
)
def test_a_journal_write_during_a_slow_token_request_is_not_locked_out(
    served: tuple[Sandbox, str], tmp_path: Path, busy: float, latency: float
) -> None:
    sandbox, base_url = served
    url = f"sqlite:///{tmp_path}/qbank.db"
    sandbox.faults.add_latency("createToken", seconds=latency, times=1)
    refresher = child(base_url, url, str(busy), "token")
    try:
        wait_for(lambda: sandbox.token_requests == 1, "the refresher's POST /token")
        payer = child(base_url, url, str(busy), "pay", json.dumps(BODY), "invoice:lock-1")
        out, err = payer.communicate(timeout=busy + latency + 60)
        refresher_running = refresher.poll() is None
        assert out.splitlines()[-1:] == ["OK"], (out, err)
        assert "database is locked" not in out + err
        # The premise: the payment was made while the token request was still in flight.
        assert refresher_running, "the token request ended first: lengthen the latency"
        assert len(sandbox.payments_by_key()) == 1
        out, err = refresher.communicate(timeout=latency + 60)
        assert out.splitlines()[-1:] == ["OK"], (out, err)
    finally:
        if refresher.poll() is None:
            refresher.kill()
            refresher.communicate()
    # The payer's own token, and the refresher's: a request longer than TOKEN_TIMEOUT (30 s)
    # timed out and was sent again (answered at once), as in the 35 s reproduction.
    retried = latency >= (TOKEN_TIMEOUT.read or math.inf)
    assert sandbox.token_requests == 2 + retried


def test_a_refresher_killed_mid_request_does_not_hold_the_others_up(
    served: tuple[Sandbox, str], tmp_path: Path
) -> None:
    sandbox, base_url = served
    url = f"sqlite:///{tmp_path}/tokens.db"
    sandbox.faults.add_latency("createToken", seconds=600, times=1)  # never answered in time
    refresher = child(base_url, url, "30", "token")
    try:
        wait_for(lambda: sandbox.token_requests == 1, "the refresher's POST /token")
        refresher.send_signal(signal.SIGKILL)  # the lease row stays, naming a dead process
        refresher.wait()
        second = child(base_url, url, "30", "token")
        out, err = second.communicate(timeout=100)  # < LOCK_TIMEOUT (120 s): not a lease expiry
    finally:
        if refresher.poll() is None:
            refresher.kill()
        refresher.communicate()
    assert out.splitlines()[-1:] == ["OK"], (out, err)
    assert "no refresh lock" not in err  # it took the dead lease, it did not time out
    assert sandbox.token_requests == 2
