"""docs/django.md, docs/fastapi.md and docs/celery.md run as written.

Each page's code blocks that start with a ``# <path>`` comment are files of a small project:
they are written to a temporary directory as they are, and run there for real (a Django
project's ``manage.py`` commands and webhook view, a FastAPI app under uvicorn, a Celery
worker), in their own processes, against the sandbox on a loopback socket."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx2
import pytest

from qbank_connect import idempotency_key_for
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox

from ..sandbox_process import SRC
from ..servers import free_port
from ..webhooks.webhook_samples import SECRET
from .deliveries import delivery

DOCS = Path(__file__).resolve().parents[2] / "docs"
RECIPIENT = {
    "name": "Acme Supplies",
    "routing_number": "021000021",
    "account_number": "123456789",
    "account_type": "checking",
}


def project_files(page: str) -> dict[str, str]:
    """``path -> code`` for the page's blocks that name their file on their first line."""
    text = (DOCS / page).read_text()
    files: dict[str, str] = {}
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL):
        first = block.splitlines()[0]
        found = re.match(r"# ([\w/]+\.py)\b", first)
        if found:
            files[found.group(1)] = files.get(found.group(1), "") + block
    return files


def write_project(page: str, directory: Path) -> dict[str, str]:
    files = project_files(page)
    assert files, f"{page} has no project files"
    for name, code in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    return files


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[Sandbox, str]]:
    with Sandbox() as bank, bank.serve(port=0) as server:
        yield bank, server.base_url


def environment(base_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
        "QBANK_CLIENT_ID": DEMO_CLIENT_ID,
        "QBANK_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "QBANK_BASE_URL": base_url,
        "QBANK_WEBHOOK_SECRET": SECRET,
        **extra,
    }


def test_celery_page_runs_in_a_real_worker(
    sandbox: tuple[Sandbox, str], redis_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("celery")
    from celery import Celery

    write_project("celery.md", tmp_path)
    env = environment(
        sandbox[1],
        CELERY_BROKER_URL=redis_url,
        QBANK_JOURNAL=f"sqlite:///{tmp_path / 'journal.db'}",
    )
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "payments", "worker", "--pool=solo"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    producer = Celery("producer", broker=redis_url, backend=redis_url)
    try:
        args = ["INV-DOC-1", "125.00", RECIPIENT, date.today().isoformat()]
        first = producer.send_task("payments.pay_invoice", args=args).get(timeout=90)
        again = producer.send_task("payments.pay_invoice", args=args).get(timeout=90)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        producer.close()
    assert first == again  # the second message is answered from the journal
    key = idempotency_key_for("createAchPayment", "invoice:INV-DOC-1")
    assert sandbox[0].payments_by_key()[key] == [first["payment_id"]]


def test_fastapi_page_runs_under_uvicorn(sandbox: tuple[Sandbox, str], tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    write_project("fastapi.md", tmp_path)
    env = environment(sandbox[1], QBANK_DEDUP_STORE=f"sqlite:///{tmp_path / 'events.db'}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app:app",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx2.Client(base_url=url, timeout=30) as http:
            wait_for(http, server, tmp_path / "server.log")
            body, headers = delivery("evt_doc_fastapi")
            assert http.post("/qbank/webhooks", content=body, headers=headers).status_code == 200
            body, headers = delivery("evt_doc_fastapi")
            second = http.post("/qbank/webhooks", content=body, headers=headers)
            assert (second.status_code, second.json()) == (200, {"detail": "duplicate"})
            body, headers = delivery("evt_doc_bad")
            bad = http.post("/qbank/webhooks", content=body + b" ", headers=headers)
            assert (bad.status_code, bad.json()) == (400, {"detail": "no_matching_signature"})
            balance = http.get("/balance/acc_operating")
            assert balance.status_code == 200 and float(balance.json()["available"]) > 0
    finally:
        server.terminate()
        server.wait(30)


def wait_for(http: httpx2.Client, server: subprocess.Popen[bytes], log: Path) -> None:
    import time

    deadline = time.monotonic() + 60
    while True:
        try:
            http.get("/")
            return
        except httpx2.TransportError:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def test_django_page_runs_as_a_project(sandbox: tuple[Sandbox, str], tmp_path: Path) -> None:
    pytest.importorskip("django")
    write_project("django.md", tmp_path)
    env = environment(sandbox[1])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    for command in (["migrate", "-v", "0"], ["check"], ["qbank_check"]):
        done = run("manage.py", *command)
        assert done.returncode == 0, done.stdout + done.stderr
    first, again = run("pay.py", "INV-DOC-2", "125.00"), run("pay.py", "INV-DOC-2", "125.00")
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout  # the second run is answered from the journal
    key = idempotency_key_for("createAchPayment", "invoice:INV-DOC-2")
    assert sandbox[0].payments_by_key()[key] == [first.stdout.split()[0]]
    recovered = run("manage.py", "qbank_recover")
    assert (recovered.returncode, recovered.stdout.strip()) == (0, "nothing pending")
    assert "0 open" in run("manage.py", "qbank_journal", "pending").stdout
    port = free_port()
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            wait_for(http, server, tmp_path / "server.log")
            body, headers = delivery("evt_doc_django")
            response = http.post("/qbank/webhooks/", content=body, headers=headers)
            assert (response.status_code, response.json()) == (200, {"received": True})
            response = http.post("/qbank/webhooks/", content=body + b"\n", headers=headers)
            assert (response.status_code, response.json()) == (
                400,
                {"error": "no_matching_signature"},
            )
    finally:
        server.terminate()
        server.wait(30)
    state = run(
        "manage.py",
        "shell",
        "-c",
        "from qbank_connect.contrib.django.models import WebhookEventRecord as W;"
        "print(W.objects.get(event_id='evt_doc_django').state)",
    )
    assert state.stdout.strip().splitlines()[-1] == "done", state.stderr
