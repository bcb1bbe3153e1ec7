"""Every command in a real subprocess against ``--sandbox``: exit codes, and JSON that parses.

The independent commands start together (a few at a time) in one module fixture, since each
process spends most of its life starting Python; each test then checks one of them.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from qbank_connect.sandbox import NachaEntry, build_ach_file

from .helpers import ACH, CHECK_ISSUE, TRANSFER, WIRE, Run, assert_one_line_error, qbank

UNKNOWN_PAYMENT = "5a0c8f0e-6f3b-4d8e-9f60-2c7f3d1b9a11"
SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"


def _commands(tmp: Path) -> dict[str, tuple[tuple[str, ...], str | None]]:
    for name, body in (
        ("ach", ACH),
        ("wire", WIRE),
        ("transfer", TRANSFER),
        ("check", CHECK_ISSUE),
    ):
        (tmp / f"{name}.json").write_text(json.dumps(body))
    (tmp / "payroll.ach").write_bytes(
        build_ach_file(
            [
                NachaEntry("021000021", "111111111", Decimal("1500.00"), "ALICE"),
                NachaEntry("021000021", "222222222", Decimal("1725.50"), "BOB"),
            ]
        )
    )
    (tmp / "bad.json").write_text('{"source_account_id": "acc_operating", "amount": }')
    negative = {**ACH, "amount": "-5.00"}
    (tmp / "negative.json").write_text(json.dumps(negative))
    poor = {**TRANSFER, "source_account_id": "acc_petty_cash", "amount": "9999.00"}
    (tmp / "poor.json").write_text(json.dumps(poor))
    (tmp / "secret").write_text("demo-readonly-s3cret\n")
    (tmp / "not-nacha.ach").write_text("this is not a NACHA file\n")
    same = {**TRANSFER, "destination_account_id": TRANSFER["source_account_id"]}
    (tmp / "same.json").write_text(json.dumps(same))
    f = str(tmp)
    return {
        "auth check": (("auth", "check"), None),
        "accounts list": (("accounts", "list"), None),
        "accounts get": (("accounts", "get", "acc_operating"), None),
        "balances get": (("balances", "get", "acc_operating"), None),
        "transactions list": (
            ("transactions", "list", "--account", "acc_operating", "--page-size", "7"),
            None,
        ),
        "transactions list dates": (
            (
                "transactions",
                "list",
                "--account",
                "acc_payroll",
                "--from",
                "2026-01-01",
                "--to",
                "2099-12-31",
            ),
            None,
        ),
        "payments list": (("payments", "list", "--status", "P_FAILED"), None),
        "payments get": (("payments", "get", UNKNOWN_PAYMENT), None),
        "payments wait": (("payments", "wait", UNKNOWN_PAYMENT), None),
        "payments create-ach": (
            ("payments", "create-ach", "--json", f"{f}/ach.json", "--reference", "INV-1042"),
            None,
        ),
        "payments create-ach stdin": (("payments", "create-ach", "--json", "-"), json.dumps(ACH)),
        "payments create-wire": (("payments", "create-wire", "--json", f"{f}/wire.json"), None),
        "payments upload-ach": (
            ("payments", "upload-ach", f"{f}/payroll.ach", "--account", "acc_payroll"),
            None,
        ),
        "transfers create": (("transfers", "create", "--json", f"{f}/transfer.json"), None),
        "positive-pay create-issue": (
            ("positive-pay", "create-issue", "--json", f"{f}/check.json"),
            None,
        ),
        "positive-pay list-exceptions": (
            ("positive-pay", "list-exceptions", "--account", "acc_operating"),
            None,
        ),
        "csv output": (("accounts", "list", "--output", "csv"), None),
        "table output": (("balances", "get", "acc_operating", "--output", "table"), None),
        "bad json": (("payments", "create-wire", "--json", f"{f}/bad.json"), None),
        "missing json": (("transfers", "create", "--json", f"{f}/nowhere.json"), None),
        "invalid field": (("payments", "create-ach", "--json", f"{f}/negative.json"), None),
        "insufficient funds": (("transfers", "create", "--json", f"{f}/poor.json"), None),
        "readonly 403": (
            (
                "payments",
                "create-ach",
                "--json",
                f"{f}/ach.json",
                "--client-id",
                "demo-readonly",
                "--secret-file",
                f"{f}/secret",
            ),
            None,
        ),
        "wrong secret": (
            ("accounts", "list", "--client-id", "demo-client", "--secret-file", f"{f}/secret"),
            None,
        ),
        "not nacha": (("payments", "upload-ach", f"{f}/not-nacha.ach"), None),
        "readonly 403 no secret": (
            ("payments", "create-ach", "--json", f"{f}/ach.json", "--client-id", "demo-readonly"),
            None,
        ),
        "empty csv": (("payments", "list", "--output", "csv"), None),
        "wait, another run's payment": (("payments", "wait", UNKNOWN_PAYMENT), None),
        "same account transfer": (
            ("transfers", "create", "--json", f"{f}/same.json"),
            None,
        ),
        "debug": (("payments", "create-wire", "--json", f"{f}/bad.json", "--debug"), None),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    tmp = tmp_path_factory.mktemp("cli")
    commands = _commands(tmp)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(qbank, *args, "--sandbox", input=stdin)
            for name, (args, stdin) in commands.items()
        }
        return {name: future.result() for name, future in futures.items()}


def ok_json(run: Run) -> object:
    assert run.returncode == 0, run
    assert "Traceback" not in run.stderr, run
    return run.json()


def test_auth_check_shows_scopes_not_the_token(runs: dict[str, Run]) -> None:
    data = ok_json(runs["auth check"])
    assert data["authenticated"] is True
    assert "payments.ach.write" in data["scopes"]
    assert "access_token" not in runs["auth check"].stdout


def test_accounts(runs: dict[str, Run]) -> None:
    accounts = ok_json(runs["accounts list"])
    assert {a["id"] for a in accounts} == {
        "acc_operating",
        "acc_payroll",
        "acc_reserve",
        "acc_petty_cash",
    }
    assert ok_json(runs["accounts get"])["id"] == "acc_operating"


def test_balance_money_is_a_string(runs: dict[str, Run]) -> None:
    balance = ok_json(runs["balances get"])
    assert balance["available"] == "2481250.00"
    assert balance["ledger"] == "2500000.00"


def test_transactions_follow_every_page(runs: dict[str, Run]) -> None:
    transactions = ok_json(runs["transactions list"])
    assert len(transactions) == 70  # 10 pages of 7
    assert len({t["id"] for t in transactions}) == 70
    assert all(isinstance(t["amount"], str) for t in transactions)
    assert len(ok_json(runs["transactions list dates"])) == 30


def test_payments_list_and_not_found(runs: dict[str, Run]) -> None:
    assert ok_json(runs["payments list"]) == []
    assert_one_line_error(runs["payments get"], 4, "404", "ERR_PAY_001", "request_id=")
    assert_one_line_error(runs["payments wait"], 4, "404")


def test_create_ach_with_reference_derives_the_key(runs: dict[str, Run]) -> None:
    from qbank_connect import idempotency_key_for

    run = runs["payments create-ach"]
    payment = ok_json(run)
    assert payment["status"] == "P_PENDING"
    assert payment["amount"] == "1250.10"
    assert f"idempotency key: {idempotency_key_for('createAchPayment', 'INV-1042')}" in run.stderr
    assert ok_json(runs["payments create-ach stdin"])["type"] == "ach"


def test_create_wire_transfer_check_issue(runs: dict[str, Run]) -> None:
    wire = ok_json(runs["payments create-wire"])
    assert (wire["type"], wire["status"]) == ("wire", "P_COMPLETED")
    transfer = ok_json(runs["transfers create"])
    assert transfer["counterparty"]["account_id"] == "acc_payroll"
    issue = ok_json(runs["positive-pay create-issue"])
    assert issue["check_number"] == "10042"


def test_upload_ach(runs: dict[str, Run]) -> None:
    ach_file = ok_json(runs["payments upload-ach"])
    assert ach_file["entry_count"] == 2
    assert ach_file["total_credit"] == "3225.50"


def test_positive_pay_exceptions(runs: dict[str, Run]) -> None:
    exceptions = ok_json(runs["positive-pay list-exceptions"])
    assert exceptions  # seeded
    assert {e["account_id"] for e in exceptions} == {"acc_operating"}
    assert all(isinstance(e["presented_amount"], str) for e in exceptions)


def test_csv_and_table_output(runs: dict[str, Run]) -> None:
    run = runs["csv output"]
    assert run.returncode == 0, run
    lines = run.stdout.splitlines()
    assert lines[0].split(",")[:4] == ["timestamp", "actor", "request_id", "id"]
    assert len(lines) == 5
    table = runs["table output"]
    assert table.returncode == 0, table
    assert "2481250.00" in table.stdout and "{" not in table.stdout


def test_bad_input_fails_before_any_call(runs: dict[str, Run]) -> None:
    assert_one_line_error(runs["bad json"], 1, "is not valid JSON", "line 1")
    assert_one_line_error(runs["missing json"], 1, "cannot read")
    assert_one_line_error(runs["invalid field"], 1, "amount")
    assert "idempotency key" not in runs["invalid field"].stderr  # nothing was sent


def test_api_refusals_have_their_exit_codes(runs: dict[str, Run]) -> None:
    assert_one_line_error(runs["insufficient funds"], 6, "422", "ERR_FUNDS_001", "idempotency_key=")
    assert_one_line_error(runs["readonly 403"], 3, "403", "ERR_SCOPE_001", "request_id=")
    assert_one_line_error(runs["wrong secret"], 3, "invalid_client")
    assert "demo-readonly-s3cret" not in runs["wrong secret"].stderr


def test_not_a_nacha_file(runs: dict[str, Run]) -> None:
    # `qbank --help`: 11 is "the NACHA file (or its entries) is invalid"; the SDK's pre-check
    # refuses it before sending.
    assert_one_line_error(runs["not nacha"], 11, "not a valid NACHA file")


def test_the_read_only_demo_client_needs_no_secret_with_the_embedded_sandbox(
    runs: dict[str, Run],
) -> None:
    """docs/cli.md's 403 example, as written: no secret to find in docs/sandbox.md."""
    assert_one_line_error(runs["readonly 403 no secret"], 3, "403", "ERR_SCOPE_001")


def test_csv_of_an_empty_list_still_has_its_header_row(runs: dict[str, Run]) -> None:
    run = runs["empty csv"]
    assert run.returncode == 0, run
    header = run.stdout.splitlines()
    assert len(header) == 1
    assert {"id", "status", "amount", "source_account_id"} <= set(header[0].split(","))


def test_a_404_of_the_embedded_sandbox_says_it_starts_empty(runs: dict[str, Run]) -> None:
    assert_one_line_error(
        runs["wait, another run's payment"], 4, "404", "starts empty on every command", "--base-url"
    )


def test_a_transfer_to_its_own_source_is_refused_before_any_call(runs: dict[str, Run]) -> None:
    run = runs["same account transfer"]
    assert_one_line_error(run, 1, "destination_account_id: must differ from source_account_id")
    assert "Value error" not in run.stderr


def test_debug_shows_the_traceback(runs: dict[str, Run]) -> None:
    run = runs["debug"]
    assert run.returncode == 1
    assert "Traceback" in run.stderr


def test_every_operation_has_a_command() -> None:
    import typer.main

    from qbank_connect.cli._app import app
    from qbank_connect.cli._options import OPERATIONS

    spec = yaml.safe_load(SPEC.read_text())
    operation_ids = {
        operation["operationId"]
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert operation_ids <= set(OPERATIONS), operation_ids - set(OPERATIONS)
    root = typer.main.get_command(app)
    for operation_id in operation_ids:
        group, name = OPERATIONS[operation_id].split()
        assert name in root.commands[group].commands, operation_id  # type: ignore[attr-defined]
