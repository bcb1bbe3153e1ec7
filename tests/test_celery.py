"""Celery redelivery: a worker killed mid-task does not make the payment twice.

A real Celery worker (Redis broker, ``redis-server`` started here on a free loopback port) runs
``examples/celery_payments.py``'s ``pay_invoice`` against the sandbox served by another process.
The task is ``acks_late`` with ``reject_on_worker_lost``, and its idempotency key is derived from
the invoice. The first worker is SIGKILLed right after the payment call returned (before the
task could finish and acknowledge); a second worker gets the message again once Redis's
visibility timeout (2 s here, scanned every 1 s) has passed, runs the task again, and gets the *same* payment back:
the sandbox holds exactly one payment for the invoice.

Needs ``redis-server`` on PATH (``apt-get install redis-server``); skipped without it (``nox -s
celery`` fails instead). About 5 s, so it is part of the default run too."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qbank_connect import QBankConnect
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from .sandbox_process import SRC, sandbox_process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RECIPIENT = {
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "account_number": "123456789",
    "account_type": "checking",
}


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location(
        "celery_payments", EXAMPLES / "celery_payments.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_derived_keys_are_canonical_uuid4_and_stable() -> None:
    example = load_example()
    key = example.idempotency_key_for("pay_invoice", "INV-1042")
    assert key == example.idempotency_key_for("pay_invoice", "INV-1042")
    parsed = uuid.UUID(key)
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == key
    assert key != example.idempotency_key_for("pay_invoice", "INV-1043")
    assert key != example.idempotency_key_for("refund_invoice", "INV-1042")
    assert example.idempotency_key_for("a", "bc") != example.idempotency_key_for("ab", "c")
    # The SDK accepts it as given.
    from qbank_connect._idempotency import validate_idempotency_key

    assert validate_idempotency_key(key) == key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with sandbox_process() as url:
        yield url


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "celery_payments",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=EXAMPLES,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole
        )


def stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


@pytest.mark.e2e
def test_a_worker_killed_after_paying_does_not_pay_twice(
    redis_url: str, base_url: str, tmp_path: Path
) -> None:
    from celery import Celery

    invoice = f"INV-{uuid.uuid4().hex[:10]}"
    markers = tmp_path / "markers"
    markers.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(SRC), str(EXAMPLES), os.environ.get("PYTHONPATH")])
        ),
        "QBANK_CLIENT_ID": DEMO_CLIENT_ID,
        "QBANK_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "QBANK_BASE_URL": base_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_RESTORE_INTERVAL": "1",
        "QBANK_DEMO_MARKER_DIR": str(markers),
        "QBANK_JOURNAL": f"sqlite:///{tmp_path / 'journal.db'}",
    }
    producer = Celery("producer", broker=redis_url, backend=redis_url)
    producer.conf.broker_transport_options = {"visibility_timeout": 2}
    first = start_worker(
        "first", {**env, "QBANK_DEMO_PAUSE_AFTER_PAYMENT": "120"}, tmp_path / "w1.log"
    )
    second = None
    result = None
    try:
        result = producer.send_task(
            "celery_payments.pay_invoice",
            args=[invoice, "125.00", RECIPIENT, time.strftime("%Y-%m-%d", time.gmtime())],
        )
        deadline = time.monotonic() + 60
        while not list(markers.glob(f"{invoice}.*.paid")):
            assert first.poll() is None, (tmp_path / "w1.log").read_text()
            assert time.monotonic() < deadline, "the first worker never paid"
            time.sleep(0.05)
        # Paid, not yet acknowledged: kill the worker outright.
        stop(first, signal.SIGKILL)
        assert first.returncode == -signal.SIGKILL

        second = start_worker("second", env, tmp_path / "w2.log")
        outcome = result.get(timeout=90)
    finally:
        for worker in (first, second):
            if worker is not None:
                stop(worker)
        result = None  # its __del__ talks to Redis: drop it while Redis still runs
        producer.close()

    paid = sorted(markers.glob(f"{invoice}.*.paid"))
    assert len(paid) == 2, paid  # the task really ran twice: once killed, once redelivered
    assert {p.read_text() for p in paid} == {outcome["payment_id"]}
    assert outcome["pid"] == second.pid and outcome["invoice_id"] == invoice  # type: ignore[union-attr]
    with QBankConnect(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, base_url=base_url) as client:
        mine = [p for p in client.payments.list(limit=100) if p.memo == f"Invoice {invoice}"]
        assert [p.id for p in mine] == [outcome["payment_id"]]  # exactly one payment
    w2_log = (tmp_path / "w2.log").read_text()
    assert "succeeded" in w2_log
    # The redelivery was answered by the journal the workers share: it holds the payment.
    with QBankConnect(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        base_url=base_url,
        journal=f"sqlite:///{tmp_path / 'journal.db'}",
    ) as client:
        assert client.journal is not None
        entry = client.journal.get("createAchPayment", f"invoice:{invoice}")
    assert entry is not None and entry.outcome is not None
    assert entry.idempotency_key == outcome["idempotency_key"]
    assert outcome["payment_id"] in entry.outcome.body
