"""``qbank payments create-ach --csv``: bounded concurrency, per-row keys, a results file,
and a re-run of the same file that pays nothing twice (against a sandbox this test serves)."""

from __future__ import annotations

import csv
import signal
import subprocess
import time
from pathlib import Path

import pytest

from qbank_connect import idempotency_key_for
from qbank_connect.sandbox import Sandbox, SandboxServer

from .helpers import assert_one_line_error, cli_env, qbank, qbank_command, served_env

HEADER = "reference,amount,effective_date,recipient_name,routing_number,account_number,account_type"


def payroll(tmp_path: Path, rows: int, *, name: str = "payroll.csv", extra: str = "") -> Path:
    lines = [HEADER + (",source_account_id" if extra else "")]
    for n in range(1, rows + 1):
        line = f"PAY-{n:03d},{n}.25,2026-11-23,Employee {n},021000021,{100000000 + n},checking"
        lines.append(line + (f",{extra}" if extra else ""))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def results(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_row_once_and_a_rerun_sends_nothing_twice(
    tmp_path: Path, sandbox: Sandbox, server: SandboxServer
) -> None:
    source = payroll(tmp_path, 12)
    env = served_env(server.base_url)
    first = qbank(
        "payments",
        "create-ach",
        "--csv",
        str(source),
        "--account",
        "acc_payroll",
        "--concurrency",
        "4",
        env=env,
    )
    assert first.returncode == 0, first
    summary = first.json()
    assert (summary["rows"], summary["succeeded"], summary["failed"]) == (12, 12, 0)
    out = results(tmp_path / "payroll.results.csv")
    assert [r["reference"] for r in out] == [f"PAY-{n:03d}" for n in range(1, 13)]
    assert {r["status"] for r in out} == {"P_PENDING"}
    for row in out:
        assert row["idempotency_key"] == idempotency_key_for("createAchPayment", row["reference"])

    again = qbank(
        "payments",
        "create-ach",
        "--csv",
        str(source),
        "--account",
        "acc_payroll",
        "--results",
        str(tmp_path / "again.csv"),
        env=env,
    )
    assert again.returncode == 0, again
    assert again.json()["replayed"] == 12
    rerun = results(tmp_path / "again.csv")
    assert {r["replayed"] for r in rerun} == {"true"}
    assert [r["payment_id"] for r in rerun] == [r["payment_id"] for r in out]

    ledger = sandbox.ledger()
    assert len(ledger) == 12  # one payment per row, after two runs
    assert sorted(e.amount for e in ledger) == sorted(f"{n}.25" for n in range(1, 13))


def test_retries_are_counted(tmp_path: Path, sandbox: Sandbox, server: SandboxServer) -> None:
    sandbox.faults.fail_next("createAchPayment", times=2, status=503, retry_after=0)
    source = payroll(tmp_path, 3, extra="acc_operating")
    run = qbank(
        "payments",
        "create-ach",
        "--csv",
        str(source),
        "--concurrency",
        "1",
        env=served_env(server.base_url),
    )
    assert run.returncode == 0, run
    assert run.json()["retried"] >= 1
    out = results(tmp_path / "payroll.results.csv")
    assert sum(int(r["retries"]) for r in out) == 2
    assert len(sandbox.ledger()) == 3


def test_failed_rows_exit_12_and_are_in_the_results(tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    source.write_text(
        HEADER + ",source_account_id\n"
        "A-1,10.00,2026-11-23,Alice,021000021,111111111,checking,acc_operating\n"
        "A-2,600.00,2026-11-23,Bob,021000021,222222222,checking,acc_petty_cash\n"
    )
    run = qbank("payments", "create-ach", "--csv", str(source), "--sandbox")
    assert_one_line_error(run, 12, "1 of 2 rows failed")
    by_ref = {r["reference"]: r for r in results(tmp_path / "mixed.results.csv")}
    assert by_ref["A-1"]["status"] == "P_PENDING"
    assert by_ref["A-2"]["status"] == "failed"
    assert "ERR_FUNDS_001" in by_ref["A-2"]["error"]


def test_a_bad_row_sends_nothing(tmp_path: Path, sandbox: Sandbox, server: SandboxServer) -> None:
    source = payroll(tmp_path, 3, extra="acc_operating")
    lines = source.read_text().splitlines()
    lines[2] = lines[2].replace("2.25", "2.255")  # three decimals
    lines.append(lines[1])  # PAY-001 twice
    source.write_text("\n".join(lines) + "\n")
    run = qbank("payments", "create-ach", "--csv", str(source), env=served_env(server.base_url))
    assert_one_line_error(run, 1, "nothing sent", "row 3 (PAY-002): amount", "repeats row 2")
    assert sandbox.ledger() == []
    assert sandbox.token_requests == 0


def test_missing_columns(tmp_path: Path) -> None:
    source = tmp_path / "short.csv"
    source.write_text("reference,amount\nX,1.00\n")
    run = qbank("payments", "create-ach", "--csv", str(source), "--sandbox")
    assert_one_line_error(run, 1, "missing column(s)", "recipient_name")


def test_ctrl_c_writes_partial_results_and_the_rerun_completes(
    tmp_path: Path, sandbox: Sandbox, server: SandboxServer
) -> None:
    sandbox.faults.add_latency("createAchPayment", seconds=0.3)
    source = payroll(tmp_path, 30, extra="acc_operating")
    process = subprocess.Popen(
        qbank_command("payments", "create-ach", "--csv", str(source), "--concurrency", "2"),
        env=served_env(server.base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not sandbox.ledger() and time.monotonic() < deadline:  # a wait, not an assertion
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert b"Traceback" not in stderr
    assert b"interrupted" in stderr
    partial = results(tmp_path / "payroll.results.csv")
    assert len(partial) == 30
    assert any(r["status"] in ("not_sent", "unknown") for r in partial)

    sandbox.faults.clear()
    run = qbank("payments", "create-ach", "--csv", str(source), env=served_env(server.base_url))
    assert run.returncode == 0, run
    assert len(sandbox.ledger()) == 30  # whatever the first run sent, none twice


@pytest.mark.parametrize("flag", ["--idempotency-key", "--reference"])
def test_per_call_keys_do_not_mix_with_csv(tmp_path: Path, flag: str) -> None:
    source = payroll(tmp_path, 1, extra="acc_operating")
    value = idempotency_key_for("x") if flag == "--idempotency-key" else "R"
    run = qbank(
        "payments", "create-ach", "--csv", str(source), flag, value, "--sandbox", env=cli_env()
    )
    assert_one_line_error(run, 1, "reference column")


def test_a_row_with_a_repeated_reference_reports_its_bad_cells_too(tmp_path: Path) -> None:
    """docs/cli.md: every problem at once, not one more each time the file is fixed."""
    source = payroll(tmp_path, 2, extra="acc_operating")
    lines = source.read_text().splitlines()
    bad = lines[2].replace("PAY-002", "PAY-001").replace("2026-11-23", "2026-02-30")
    lines[2] = bad.replace("checking", "chequing")
    source.write_text("\n".join(lines) + "\n")
    run = qbank("payments", "create-ach", "--csv", str(source), "--sandbox")
    assert_one_line_error(
        run, 1, "repeats row 2", "row 3 (PAY-001): effective_date", "row 3 (PAY-001): account_type"
    )
    assert "Value error" not in run.stderr
