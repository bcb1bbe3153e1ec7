"""``qbank nacha build`` and ``qbank nacha validate`` in subprocesses; a built file uploads."""

from __future__ import annotations

from pathlib import Path

from .helpers import assert_one_line_error, qbank

ORIGINATOR = (
    "--immediate-destination",
    "021000021",
    "--immediate-origin",
    "1234567890",
    "--company-name",
    "ACME CORP",
    "--company-id",
    "1234567890",
    "--effective-date",
    "2026-11-23",
)


def entries(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "entries.csv"
    path.write_text("name,routing_number,account_number,account_type,amount\n" + rows)
    return path


def test_build_validate_upload(tmp_path: Path) -> None:
    source = entries(
        tmp_path,
        "Jane Doe,021000021,000123456,checking,125.00\n"
        "John Roe,021000021,000654321,savings,80.10\n",
    )
    out = tmp_path / "payroll.ach"
    built = qbank("nacha", "build", str(source), "-o", str(out), *ORIGINATOR)
    assert built.returncode == 0, built
    assert built.json()["entries"] == 2
    records = out.read_bytes().decode().splitlines()
    assert all(len(r) == 94 for r in records) and len(records) % 10 == 0

    checked = qbank("nacha", "validate", str(out))
    assert checked.returncode == 0, checked
    assert checked.json() == {"file": str(out), "valid": True, "problems": []}

    uploaded = qbank("payments", "upload-ach", str(out), "--account", "acc_payroll", "--sandbox")
    assert uploaded.returncode == 0, uploaded
    assert (uploaded.json()["entry_count"], uploaded.json()["total_credit"]) == (2, "205.10")


def test_an_invalid_file_lists_every_problem(tmp_path: Path) -> None:
    source = entries(tmp_path, "Jane Doe,021000021,000123456,checking,125.00\n")
    good = tmp_path / "good.ach"
    assert qbank("nacha", "build", str(source), "-o", str(good), *ORIGINATOR).returncode == 0
    lines = good.read_text().splitlines()
    lines[2] = lines[2][:29] + "00000125O0" + lines[2][39:]  # a letter O in the amount
    lines[0] = lines[0][:93]  # a short record
    bad = tmp_path / "bad.ach"
    bad.write_text("\n".join(lines) + "\n")
    run = qbank("nacha", "validate", str(bad))
    assert_one_line_error(run, 11, "problem(s)", "line 1")
    problems = run.json()
    assert any((p["line"], p["field"], p["columns"]) == (3, "amount", [30, 39]) for p in problems)
    assert any(p["line"] == 1 for p in problems)


def test_bad_entries_build_nothing(tmp_path: Path) -> None:
    source = entries(tmp_path, "Jane,021000022,x,checking,abc\nBob,021000021,12345,chequing,1\n")
    out = tmp_path / "never.ach"
    run = qbank("nacha", "build", str(source), "-o", str(out), *ORIGINATOR)
    # A well-formed CSV with bad cells: every cell named by line and column, not "not a CSV".
    assert_one_line_error(
        run,
        11,
        "4 problems",
        "line 2, routing_number",
        "line 2, account_number",
        "line 2, amount",
        "line 3, account_type",
    )
    assert "not a valid CSV" not in run.stderr
    assert not out.exists()


def test_unreadable_file(tmp_path: Path) -> None:
    run = qbank("nacha", "validate", str(tmp_path / "missing.ach"))
    assert_one_line_error(run, 1)
