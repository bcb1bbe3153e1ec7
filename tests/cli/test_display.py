"""What a human sees: usage lines, help text, tables at 80 columns (subprocesses, --sandbox)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from qbank_connect.sandbox import NachaEntry, build_ach_file

from .helpers import Run, cli_env, qbank

NARROW = cli_env(COLUMNS="80")


def help_of(*command: str) -> Run:
    run = qbank(*command, "--help", env=NARROW)
    assert run.returncode == 0, run
    return run


@pytest.mark.parametrize(
    "command",
    [
        ("balances", "get"),
        ("accounts", "get"),
        ("payments", "wait"),
        ("payments", "upload-ach"),
        ("nacha", "build"),
        ("nacha", "validate"),
    ],
)
def test_usage_lines_show_arguments_plainly(command: tuple[str, ...]) -> None:
    usage = help_of(*command).stdout.splitlines()[0]
    assert "{" not in usage and "}" not in usage, usage
    assert re.search(r" [A-Z_]+$", usage), usage  # ID, ACCOUNT_ID, FILE, CSV


@pytest.mark.parametrize("group", [(), ("payments",), ("nacha",), ("webhooks",)])
def test_command_lists_never_cut_a_line_short(group: tuple[str, ...]) -> None:
    listing = help_of(*group).stdout.split("Commands:")[1].split("Exit codes:")[0]
    assert "..." not in listing, listing


def test_help_tells_the_embedded_sandbox_from_the_hosted_one() -> None:
    text = " ".join(help_of("accounts", "list").stdout.split())
    assert "--environment sandbox" in text  # from --sandbox's help
    assert "QBank's hosted sandbox" in text
    root = " ".join(help_of().stdout.split())
    assert "--environment sandbox is QBank's hosted sandbox" in root


def test_the_accounts_table_keeps_ids_whole_at_80_columns() -> None:
    run = qbank("accounts", "list", "--output", "table", "--sandbox", env=NARROW)
    assert run.returncode == 0, run
    assert max(len(line) for line in run.stdout.splitlines()) <= 80
    for account in ("acc_operating", "acc_payroll", "acc_reserve", "acc_petty_cash"):
        assert account in run.stdout, run


def test_a_plain_result_table_has_no_python_type_for_a_title(tmp_path: Path) -> None:
    path = tmp_path / "payroll.ach"
    path.write_bytes(build_ach_file([NachaEntry("021000021", "111111111", Decimal("1.00"), "A")]))
    run = qbank("nacha", "validate", str(path), "--output", "table", env=NARROW)
    assert run.returncode == 0, run
    assert "valid" in run.stdout
    assert "dict" not in run.stdout
