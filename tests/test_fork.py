"""Fork safety of the blocking client, as in Celery prefork and gunicorn.

A ``QBankConnect`` created and used in the parent keeps working in children after ``os.fork()``:
each child opens its own connections (the server sees other local ports), never writes to the
parent's sockets, and the parent's keep-alive connection is still the same one afterwards.
The sandbox runs in its own process, so nothing else runs threads in the forking process."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import uuid
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import pytest

from qbank_connect import QBankConnect
from qbank_connect.sandbox import (
    ACCOUNT_OPERATING,
    ACCOUNT_PAYROLL,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
)

from .sandbox_process import sandbox_process

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    # Python 3.12+ warns when forking a process that has threads (pytest may keep some).
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with sandbox_process() as url:
        yield url


def local_port(client: QBankConnect) -> int:
    """One call; the local port of the connection that carried it."""
    raw = client.with_raw_response.balances.get(ACCOUNT_OPERATING)
    stream = raw.http_response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


def work_in_child(client: QBankConnect) -> dict[str, Any]:
    ports = {local_port(client) for _ in range(3)}
    transfer = client.transfers.create(
        request={
            "source_account_id": ACCOUNT_OPERATING,
            "destination_account_id": ACCOUNT_PAYROLL,
            "amount": "1.00",
        },
        idempotency_key=str(uuid.uuid4()),
    )
    return {"pid": os.getpid(), "ports": sorted(ports), "transfer": transfer.id}


def child_main(client: QBankConnect, conn: Connection) -> None:
    try:
        conn.send(work_in_child(client))
    except BaseException as exc:
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def test_children_of_a_fork_use_their_own_connections(base_url: str) -> None:
    with QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, timeout=20) as client:
        parent_port = local_port(client)  # token fetched, one keep-alive connection open
        context = multiprocessing.get_context("fork")
        pipes, children = [], []
        for _ in range(3):
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=child_main, args=(client, sender))
            child.start()
            sender.close()
            pipes.append(receiver)
            children.append(child)
        # The parent keeps calling while the children run.
        during = {local_port(client) for _ in range(5)}
        results = []
        for receiver, child in zip(pipes, children, strict=True):
            assert receiver.poll(60), "a child did not answer within 60 s"
            results.append(receiver.recv())
            receiver.close()
            child.join(30)
            assert child.exitcode == 0
        after = local_port(client)

    errors = [r["error"] for r in results if "error" in r]
    assert not errors, errors
    child_ports = [set(r["ports"]) for r in results]
    assert all(parent_port not in ports for ports in child_ports)
    assert all(not (a & b) for i, a in enumerate(child_ports) for b in child_ports[i + 1 :])
    assert len({r["transfer"] for r in results}) == 3
    # The parent's connection survived: same socket before, during and after the children.
    assert during == {parent_port} and after == parent_port


def test_raw_os_fork_child_works_and_parent_is_untouched(base_url: str) -> None:
    with QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url, timeout=20) as client:
        parent_port = local_port(client)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            code = 1
            try:
                os.close(read_fd)
                result = work_in_child(client)
                client.close()  # closes the child's pool only; the parent's stays open
                os.write(write_fd, pickle.dumps(result))
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as reader:
            payload = reader.read()
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        result = pickle.loads(payload)
        assert parent_port not in result["ports"] and result["pid"] != os.getpid()
        assert local_port(client) == parent_port
