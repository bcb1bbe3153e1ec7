"""Many processes, one token: the shared token cache across real processes.

N worker processes (spawned, each with its own ``QBankConnect``) share a cold cache and call the
sandbox over a real socket at the same moment: exactly one ``POST /token`` between them. Then
the sandbox's clock moves two hours on, every worker's token is refused with a 401 at once, and
again exactly one ``POST /token`` brings them all a new, shared token.

The default run uses 4 workers on SQLite and Redis; ``slow`` runs 16 on SQLite, Redis and
PostgreSQL (``nox -s exactly_once``)."""

from __future__ import annotations

import hashlib
import multiprocessing
import queue
from collections.abc import Iterator
from datetime import datetime, timezone
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest

from qbank_connect import QBankConnect
from qbank_connect.sandbox import ACCOUNT_OPERATING, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

pytestmark = [pytest.mark.e2e]

START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
WAIT = 120  # seconds a worker or the parent waits for the others before giving up


def _worker(
    base_url: str, cache_url: str, phases: list[Event], results: multiprocessing.Queue[Any]
) -> None:
    try:
        with QBankConnect(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            base_url=base_url,
            token_cache=cache_url,
            max_retries=0,
        ) as client:
            results.put(("ready", None))
            for number, phase in enumerate(phases, 1):
                if not phase.wait(WAIT):
                    raise RuntimeError(f"phase {number} never started")
                balance = client.balances.get(ACCOUNT_OPERATING)
                assert balance.account_id == ACCOUNT_OPERATING
                token = client._requester.tokens.get().authorization
                results.put((number, hashlib.sha256(token.encode()).hexdigest()))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))
        raise


def _collect(results: multiprocessing.Queue[Any], what: object, count: int) -> list[Any]:
    got = []
    for _ in range(count):
        try:
            tag, value = results.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"only {len(got)} of {count} workers reported {what!r}") from None
        assert tag != "error", value
        assert tag == what, (tag, value)
        got.append(value)
    return got


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(start=START, token_ttl=3600) as sandbox, sandbox.serve() as server:
        yield sandbox, server.base_url


def cache_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/tokens.db"
    return str(request.getfixturevalue(f"{kind}_url"))


@pytest.mark.parametrize(
    ("kind", "workers"),
    [
        ("sqlite", 4),
        ("redis", 4),
        pytest.param("sqlite", 16, marks=pytest.mark.slow),
        pytest.param("redis", 16, marks=pytest.mark.slow),
        pytest.param("postgres", 16, marks=pytest.mark.slow),
    ],
)
def test_processes_with_a_cold_shared_cache_make_one_token_request(
    served: tuple[Sandbox, str],
    kind: str,
    workers: int,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    sandbox, base_url = served
    url = cache_url(kind, request, tmp_path)
    context = multiprocessing.get_context("spawn")
    phases = [context.Event(), context.Event()]
    results: multiprocessing.Queue[Any] = context.Queue()
    processes = [
        context.Process(target=_worker, args=(base_url, url, phases, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        _collect(results, "ready", workers)
        assert sandbox.token_requests == 0

        phases[0].set()  # every worker calls at once, on a cold cache
        first = _collect(results, 1, workers)
        assert sandbox.token_requests == 1
        assert len(set(first)) == 1  # one token, shared by all

        sandbox.advance(hours=2)  # the token expires on the server: every worker gets a 401
        phases[1].set()
        second = _collect(results, 2, workers)
        assert sandbox.token_requests == 2
        assert len(set(second)) == 1 and second[0] != first[0]
    finally:
        for event in phases:
            event.set()
        for process in processes:
            process.join(WAIT)
            if process.is_alive():
                process.kill()
                process.join()
    assert [p.exitcode for p in processes] == [0] * workers
