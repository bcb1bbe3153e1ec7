"""Commands against a sandbox this test serves and controls: conflicts, faults, waiting,
no answer at all, and ``qbank sandbox`` itself."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from qbank_connect import idempotency_key_for
from qbank_connect.sandbox import Sandbox, SandboxServer

from .helpers import (
    ACH,
    WIRE,
    Run,
    assert_one_line_error,
    cli_env,
    qbank,
    qbank_command,
    served_env,
)

KEY = idempotency_key_for("test", "conflict")


def write(tmp_path: Path, name: str, body: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return str(path)


def test_409_while_the_same_key_is_in_flight(
    tmp_path: Path, sandbox: Sandbox, server: SandboxServer
) -> None:
    ach = write(tmp_path, "ach.json", ACH)
    env = served_env(server.base_url)
    sandbox.faults.add_latency("createAchPayment", seconds=30, times=1)
    first = subprocess.Popen(
        qbank_command("payments", "create-ach", "--json", ach, "--idempotency-key", KEY),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while KEY not in sandbox.in_flight_keys() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = qbank(
            "payments",
            "create-ach",
            "--json",
            ach,
            "--idempotency-key",
            KEY,
            "--conflict-wait",
            "0",
            env=env,
        )
    finally:
        first.kill()
        first.communicate()
    assert_one_line_error(
        second, 5, "409", f"idempotency_key={KEY}", "transaction_id=", "qbank payments wait"
    )


def test_409_is_followed_to_the_payment_by_default(
    tmp_path: Path, sandbox: Sandbox, server: SandboxServer
) -> None:
    ach = write(tmp_path, "ach.json", ACH)
    env = served_env(server.base_url)
    sandbox.faults.add_latency("createAchPayment", seconds=2, times=1)
    first = subprocess.Popen(
        qbank_command("payments", "create-ach", "--json", ach, "--idempotency-key", KEY),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while KEY not in sandbox.in_flight_keys() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = qbank(
            "payments",
            "create-ach",
            "--json",
            ach,
            "--idempotency-key",
            KEY,
            "--output",
            "json",
            env=env,
        )
    finally:
        first.communicate(timeout=60)
    assert second.returncode == 0, second
    assert sandbox.payments_by_key()[KEY] == [second.json()["id"]]  # followed, one payment


def test_422_same_key_with_another_body(
    tmp_path: Path, sandbox: Sandbox, server: SandboxServer
) -> None:
    env = served_env(server.base_url)
    first = qbank(
        "payments",
        "create-ach",
        "--json",
        write(tmp_path, "a.json", ACH),
        "--idempotency-key",
        KEY,
        env=env,
    )
    assert first.returncode == 0, first
    other = {**ACH, "amount": "9.99"}
    second = qbank(
        "payments",
        "create-ach",
        "--json",
        write(tmp_path, "b.json", other),
        "--idempotency-key",
        KEY,
        env=env,
    )
    assert_one_line_error(second, 5, "422", "ERR_IDEM_002")
    assert len(sandbox.ledger()) == 1


def test_reference_and_a_different_key_are_refused(tmp_path: Path) -> None:
    run = qbank(
        "payments",
        "create-ach",
        "--json",
        write(tmp_path, "a.json", ACH),
        "--reference",
        "INV-1",
        "--idempotency-key",
        KEY,
        "--sandbox",
    )
    assert_one_line_error(run, 1, "not both")


def test_503_after_retries(tmp_path: Path, sandbox: Sandbox, server: SandboxServer) -> None:
    sandbox.faults.fail_next("createWirePayment", times=5, status=503, retry_after=0)
    run = qbank(
        "payments",
        "create-wire",
        "--json",
        write(tmp_path, "w.json", WIRE),
        "--max-retries",
        "1",
        env=served_env(server.base_url),
    )
    assert_one_line_error(run, 7, "503", "idempotency_key=", "re-run with --idempotency-key")
    assert sandbox.ledger() == []


def test_no_answer_is_exit_8_with_the_key_to_rerun_with(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = qbank(
        "payments",
        "create-wire",
        "--json",
        write(tmp_path, "w.json", WIRE),
        "--max-retries",
        "0",
        "--reference",
        "W-1",
        env=served_env(f"http://127.0.0.1:{port}/v1"),
    )
    assert_one_line_error(run, 8)


def test_wait_until_final(tmp_path: Path, sandbox: Sandbox, server: SandboxServer) -> None:
    env = served_env(server.base_url)
    created = qbank("payments", "create-ach", "--json", write(tmp_path, "a.json", ACH), env=env)
    payment_id = created.json()["id"]
    not_yet = qbank("payments", "wait", payment_id, "--timeout", "0", env=env)
    assert not_yet.returncode == 10, not_yet
    assert not_yet.json()["status"] == "P_PENDING"  # the last state seen is still printed

    sandbox.advance(minutes=15)  # the ACH batch runs
    done = qbank("payments", "wait", payment_id, "--poll-interval", "0.05", env=env)
    assert done.returncode == 0, done
    assert done.json()["status"] == "P_COMPLETED"
    got = qbank("payments", "get", payment_id, env=env)
    assert got.json()["status_history"][-1]["status"] == "P_COMPLETED"


def test_missing_credentials(tmp_path: Path) -> None:
    no_id = qbank("accounts", "list")
    assert_one_line_error(no_id, 1, "QBANK_CLIENT_ID")
    no_secret = qbank("accounts", "list", env=cli_env(QBANK_CLIENT_ID="demo-client"))
    assert_one_line_error(no_secret, 1, "QBANK_CLIENT_SECRET", "never accepted as a flag value")


def test_a_secret_is_never_a_flag() -> None:
    run = qbank("accounts", "list", "--client-secret", "hunter2")
    assert run.returncode == 2, run  # Click's usage error
    assert "No such option" in run.stderr


def test_environment_variables_pick_the_target(sandbox: Sandbox, server: SandboxServer) -> None:
    run = qbank("balances", "get", "acc_payroll", env=served_env(server.base_url))
    assert run.json()["available"] == sandbox.balances()["acc_payroll"]["available"]
    assert sandbox.token_requests == 1


def test_secret_file_and_prompt(tmp_path: Path, sandbox: Sandbox, server: SandboxServer) -> None:
    secret = tmp_path / "secret"
    secret.write_text("demo-s3cret:/+%=\n")
    env = cli_env(QBANK_BASE_URL=server.base_url)
    from_file = qbank(
        "accounts",
        "get",
        "acc_reserve",
        "--client-id",
        "demo-client",
        "--secret-file",
        str(secret),
        env=env,
    )
    assert from_file.returncode == 0, from_file
    # getpass reads the terminal; without one it falls back to stdin (with a warning).
    prompted = qbank(
        "accounts",
        "get",
        "acc_reserve",
        "--client-id",
        "demo-client",
        "--prompt-secret",
        input="demo-s3cret:/+%=\n",
        env=env,
    )
    assert prompted.returncode == 0, prompted
    assert "demo-s3cret" not in prompted.stdout + prompted.stderr


def test_qbank_sandbox_serves_until_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        qbank_command("sandbox", "--port", "0"),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("QBank Connect sandbox listening on http://127.0.0.1:"), first
        base_url = first.split()[-1]
        run = qbank("accounts", "list", env=served_env(base_url))
        assert run.returncode == 0, run
        assert len(run.json()) == 4
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "sandbox stopped" in out
    assert "Traceback" not in err


def test_the_console_script(tmp_path: Path) -> None:
    script = shutil.which("qbank", path=os.path.dirname(sys.executable))
    if script is None:
        # Not installed (tests run from a checkout): run what the script runs.
        command = [sys.executable, "-c", "from qbank_connect.cli import main; main()"]
    else:
        command = [script]
    done = subprocess.run(
        [*command, "balances", "get", "acc_operating", "--sandbox"],
        capture_output=True,
        env=cli_env(),
        timeout=120,
    )
    run = Run(("balances", "get"), done.returncode, done.stdout.decode(), done.stderr.decode())
    assert run.returncode == 0, run
    assert run.json()["account_id"] == "acc_operating"
