"""``qbank_connect.contrib.celery.QBankTask`` in real Celery workers (Redis broker, the sandbox
on a loopback socket): a worker killed mid-task does not pay twice, transient failures are
retried with the same reference, a 4xx is not, and a starting worker recovers the journal.

The worker app is tests/celery_tasks.py. ``redis-server`` comes from tests/servers.py (skipped
without it; ``nox -s celery`` and CI=true fail instead)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect._stores.journal import JournalEntry, json_body_record
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from .sandbox_process import SRC

pytest.importorskip("celery")

ROOT = Path(__file__).resolve().parent.parent
ACH = "createAchPayment"
RECIPIENT = {
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "account_number": "123456789",
    "account_type": "checking",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox() as bank, bank.serve(port=0) as server:
        yield bank, server.base_url


class Workers:
    """Starts Celery workers on tests/celery_tasks.py and sends them tasks."""

    def __init__(self, redis_url: str, base_url: str, tmp_path: Path) -> None:
        from celery import Celery

        self.tmp_path = tmp_path
        self.markers = tmp_path / "markers"
        self.markers.mkdir()
        self.journal = tmp_path / "journal.db"
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(SRC), str(ROOT), os.environ.get("PYTHONPATH")])
            ),
            "QBANK_CLIENT_ID": DEMO_CLIENT_ID,
            "QBANK_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "QBANK_BASE_URL": base_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_VISIBILITY_TIMEOUT": "2",
            "CELERY_RESTORE_INTERVAL": "1",
            "QBANK_DEMO_MARKER_DIR": str(self.markers),
            "QBANK_JOURNAL": f"sqlite:///{self.journal}",
        }
        self.producer = Celery("producer", broker=redis_url, backend=redis_url)
        self.producer.conf.broker_transport_options = {"visibility_timeout": 2}
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, **env: str) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "tests.celery_tasks",
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
                cwd=ROOT,
                env={**self.env, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole
            )
        self.started.append(worker)
        return worker

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def send(self, invoice: str, amount: str = "125.00") -> Any:
        return self.producer.send_task(
            "tests.celery_tasks.pay_invoice",
            args=[invoice, amount, RECIPIENT, date.today().isoformat()],
        )

    def marks(self, invoice: str, what: str) -> list[Path]:
        return sorted(self.markers.glob(f"{invoice}.{what}.*"))

    def client(self) -> QBankConnect:
        """A client of the workers' bank and journal (to read what they recorded)."""
        return QBankConnect(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            base_url=self.env["QBANK_BASE_URL"],
            journal=self.env["QBANK_JOURNAL"],
        )

    def close(self) -> None:
        for worker in self.started:
            stop(worker)
        self.producer.close()


def stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


@pytest.fixture
def workers(redis_url: str, sandbox: tuple[Sandbox, str], tmp_path: Path) -> Iterator[Workers]:
    crew = Workers(redis_url, sandbox[1], tmp_path)
    try:
        yield crew
    finally:
        crew.close()


def payments_for(bank: Sandbox, invoice: str) -> list[str]:
    return bank.payments_by_key().get(idempotency_key_for(ACH, f"invoice:{invoice}"), [])


@pytest.mark.e2e
def test_a_worker_killed_after_paying_does_not_pay_twice(
    workers: Workers, sandbox: tuple[Sandbox, str]
) -> None:
    invoice = f"INV-{uuid.uuid4().hex[:10]}"
    first = workers.start("first", QBANK_DEMO_PAUSE_AFTER_PAYMENT="120")
    result = workers.send(invoice)
    deadline = time.monotonic() + 60
    while not workers.marks(invoice, "paid"):
        assert first.poll() is None, workers.log("first")
        assert time.monotonic() < deadline, "the first worker never paid"
        time.sleep(0.05)
    # Paid, not yet acknowledged: kill the worker outright.
    stop(first, signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL
    second = workers.start("second")
    outcome = result.get(timeout=90)
    paid = workers.marks(invoice, "paid")
    assert len(paid) == 2, paid  # the task really ran twice: once killed, once redelivered
    assert {p.read_text() for p in paid} == {outcome["payment_id"]}
    assert outcome["pid"] == second.pid and outcome["reference"] == f"invoice:{invoice}"
    assert payments_for(sandbox[0], invoice) == [outcome["payment_id"]]  # exactly one payment
    # The redelivery was answered by the journal the workers share: it holds the payment.
    with workers.client() as client:
        assert client.journal is not None
        entry = client.journal.get(ACH, f"invoice:{invoice}")
    assert entry is not None and entry.outcome is not None
    assert outcome["payment_id"] in entry.outcome.body


@pytest.mark.e2e
def test_transient_failures_are_retried_with_the_same_reference_and_4xx_are_not(
    workers: Workers, sandbox: tuple[Sandbox, str]
) -> None:
    bank = sandbox[0]
    workers.start("retrying")
    # Two 503s, then a 429: the task is retried three times and pays once.
    bank.faults.fail_next(ACH, times=2, status=503, retry_after=0)
    bank.faults.fail_next(ACH, times=1, status=429, retry_after=0)
    invoice = f"INV-{uuid.uuid4().hex[:10]}"
    outcome = workers.send(invoice).get(timeout=90)
    assert outcome["retries"] == 3
    assert len(workers.marks(invoice, "run")) == 4
    assert payments_for(bank, invoice) == [outcome["payment_id"]]
    # A 4xx answer is final: the task fails at once, no retry, nothing paid (QBank refuses
    # the amount: 422 ERR_FUNDS_001).
    refused = f"INV-{uuid.uuid4().hex[:10]}"
    result = workers.send(refused, amount="999999999.00")
    with pytest.raises(Exception) as failed:
        result.get(timeout=90)
    assert result.state == "FAILURE" and failed.value is not None
    assert "422 ERR_FUNDS_001" in (result.traceback or "")
    assert len(workers.marks(refused, "run")) == 1
    assert payments_for(bank, refused) == []
    result = None  # its __del__ talks to Redis: drop it while Redis still runs


@pytest.mark.e2e
def test_a_starting_worker_recovers_what_a_crash_left_pending(
    workers: Workers, sandbox: tuple[Sandbox, str]
) -> None:
    """A journal entry recorded before a crash (never sent, or sent with the answer lost) is
    settled by the next worker's start-up ``recover()``: paid once, recorded."""
    reference = f"invoice:INV-{uuid.uuid4().hex[:10]}"
    body, digest = json_body_record(
        (
            '{"source_account_id": "acc_operating", "recipient_details": {"name": "Acme",'
            ' "routing_number": "021000021", "account_number": "123456789",'
            ' "account_type": "checking"}, "amount": "10.00",'
            f' "effective_date": "{date.today().isoformat()}"}}'
        ).encode()
    )
    with workers.client() as client:
        journal = client.journal
        assert journal is not None
        journal.claim(
            JournalEntry(
                reference=reference,
                operation=ACH,
                idempotency_key=idempotency_key_for(ACH, reference),
                body_digest=digest,
                body=body,
                created_at=datetime.now(timezone.utc),
            )
        )
        workers.start("recovering")
        deadline = time.monotonic() + 60
        while (entry := journal.get(ACH, reference)) is None or entry.outcome is None:
            assert time.monotonic() < deadline, workers.log("recovering")
            time.sleep(0.1)
    assert entry.state.value == "succeeded"
    key = idempotency_key_for(ACH, reference)
    assert len(sandbox[0].payments_by_key()[key]) == 1
    # The worker logs what it recovered once recover() returns (just after the settle).
    deadline = time.monotonic() + 60
    while "qbank recover: succeeded" not in workers.log("recovering"):
        assert time.monotonic() < deadline, workers.log("recovering")
        time.sleep(0.1)


def test_the_reference_is_the_business_key_filled_from_the_arguments() -> None:
    from celery import Celery

    from qbank_connect.contrib.celery import RETRYABLE, QBankTask

    app = Celery("unit", broker="memory://", backend="cache+memory://")

    @app.task(base=QBankTask, bind=True, business_key="invoice:{invoice_id}:{part}")
    def keyed(self: QBankTask, invoice_id: str, amount: str, part: int = 1) -> str:
        return self.reference

    @app.task(base=QBankTask, bind=True)
    def unkeyed(self: QBankTask) -> str:
        return self.reference

    @app.task(base=QBankTask, bind=True, business_key="invoice:{nope}")
    def misnamed(self: QBankTask, invoice_id: str) -> str:
        return self.reference

    assert keyed.apply(args=["INV-7", "1.00"]).get() == "invoice:INV-7:1"
    assert keyed.apply(kwargs={"invoice_id": "INV-7", "amount": "1", "part": 2}).get() == (
        "invoice:INV-7:2"
    )
    assert unkeyed.apply(task_id="t-1").get() == f"{unkeyed.name}:t-1"
    with pytest.raises(ValueError, match="nope"):
        misnamed.apply(args=["INV-7"]).get()
    assert keyed.acks_late and keyed.reject_on_worker_lost
    assert keyed.autoretry_for == RETRYABLE
    from qbank_connect.errors import QBankBadRequestError, QBankTimeoutError

    assert issubclass(QBankTimeoutError, RETRYABLE)
    assert not issubclass(QBankBadRequestError, RETRYABLE)
    app.close()


def _client_id_in_child(queue: Any) -> None:
    from qbank_connect.contrib.celery import client_for
    from tests.celery_tasks import app

    queue.put(id(client_for(app)))


def test_one_client_per_worker_process_made_after_fork(
    sandbox: tuple[Sandbox, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a prefork pool does: the parent's client is never the child's."""
    import multiprocessing

    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    monkeypatch.setenv("QBANK_JOURNAL", f"sqlite:///{tmp_path / 'journal.db'}")
    monkeypatch.setenv("QBANK_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("QBANK_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    monkeypatch.setenv("QBANK_BASE_URL", sandbox[1])
    from qbank_connect.contrib.celery import client_for, close_clients
    from tests.celery_tasks import app

    parent = client_for(app)
    assert client_for(app) is parent
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_client_id_in_child, args=(queue,))
    child.start()
    child_id = queue.get(timeout=30)
    child.join(30)
    queue.close()
    queue.join_thread()
    assert child.exitcode == 0 and child_id != id(parent)
    close_clients()
    assert client_for(app) is not parent  # closed ones are made again on next use
    close_clients()
