# Generated from tests/_async/test_faults_stampede.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Token stampede over a real socket: a crowd of calls finds the token expired at once.

1,000 concurrent calls on one event loop (asyncio and trio) and 64 threads on the sync client:
exactly one ``POST /token`` for all of them, and a token endpoint that fails (more failures than
the client retries, or ``invalid_client``) reaches every waiter as a named error.

The ``slow`` ones (a few seconds each) run in ``nox -s stampede``, not in the default suite."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

import qbank_connect._auth
from qbank_connect import QBankConnect
from qbank_connect.errors import QBankTokenError
from qbank_connect.models import Balance
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from ..aiohttp_bridge import sync_backend_options
from ..concurrency import gather_threads
from ..crowd import Crowd

pytestmark = [pytest.mark.e2e]

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


class _JumpedClock:
    """``time`` for ``qbank_connect._auth``, with the monotonic clock moved forward."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.seconds


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(start=START, token_ttl=3600) as sandbox, sandbox.serve() as server:
        yield sandbox, server.base_url


@pytest.fixture
def client(served: tuple[Sandbox, str]) -> Iterator[QBankConnect]:
    # The client's own connection pool (100 connections), as in production; generous timeout.
    with QBankConnect(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        base_url=served[1],
        timeout=60,
        **sync_backend_options(),
    ) as client:
        yield client


def expire_everywhere(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hours pass: the sandbox's tokens expire, and the client's cached one is stale."""
    sandbox.advance(hours=2)
    monkeypatch.setattr(qbank_connect._auth, "time", _JumpedClock(2 * 3600))


def crowd_reads(client: QBankConnect) -> list[object]:
    def read() -> Balance:
        return client.balances.get(ACCOUNT_OPERATING)

    return gather_threads([read] * Crowd.size)


def test_a_crowd_with_a_stale_token_asks_for_one_token(
    served: tuple[Sandbox, str], client: QBankConnect, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = served[0]
    client.balances.get(ACCOUNT_OPERATING)
    assert sandbox.token_requests == 1
    expire_everywhere(sandbox, monkeypatch)

    results = crowd_reads(client)

    assert all(isinstance(r, Balance) for r in results), {type(r) for r in results}
    assert sandbox.token_requests == 2  # exactly one POST /token for the whole crowd


@pytest.mark.slow
def test_a_crowd_with_a_revoked_token_refreshes_once(
    served: tuple[Sandbox, str], client: QBankConnect
) -> None:
    """The client thinks its token is fresh; the server refuses it: every call gets a 401,
    drops the token (unless already replaced) and replays, sharing one new token."""
    sandbox = served[0]
    client.balances.get(ACCOUNT_OPERATING)
    assert sandbox.expire_tokens() == 1

    results = crowd_reads(client)

    assert all(isinstance(r, Balance) for r in results), {type(r) for r in results}
    assert sandbox.token_requests == 2


@pytest.mark.slow
def test_a_failing_token_endpoint_fails_every_waiter_by_name(
    served: tuple[Sandbox, str], client: QBankConnect, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = served[0]
    client.balances.get(ACCOUNT_OPERATING)
    expire_everywhere(sandbox, monkeypatch)
    # Three 503s: more than the two retries the token request gets. Retry-After: 1 keeps the
    # single flight open for ~2 s, so every caller is queued behind it.
    sandbox.faults.fail_next("createToken", times=3, status=503, retry_after=1)

    results = crowd_reads(client)

    assert all(isinstance(r, QBankTokenError) for r in results), {type(r) for r in results}
    assert {r.status_code for r in results} == {503}  # type: ignore[attr-defined]
    assert sandbox.token_requests == 1 + 3  # one flight: the first try and its two retries
    # The failure is not cached: the next call asks again, and works.
    client.balances.get(ACCOUNT_OPERATING)
    assert sandbox.token_requests == 1 + 3 + 1


def test_refused_credentials_reach_every_waiter_as_invalid_client(
    served: tuple[Sandbox, str],
) -> None:
    sandbox, base_url = served
    # One 503 first (Retry-After: 1) holds the flight open while the crowd queues behind it.
    sandbox.faults.fail_next("createToken", times=1, status=503, retry_after=1)
    with QBankConnect(
        DEMO_CLIENT_ID, "not-the-secret", base_url=base_url, timeout=60, **sync_backend_options()
    ) as client:
        results = crowd_reads(client)

    assert all(isinstance(r, QBankTokenError) for r in results), {type(r) for r in results}
    assert {r.error_code for r in results} == {"invalid_client"}  # type: ignore[attr-defined]
    assert all("not-the-secret" not in str(r) for r in results)
    assert sandbox.token_requests == 2  # the 503, then the one refusal shared by everyone
