"""The SDK's one operation table (qbank_connect._operations) is spec/openapi.yaml, column by
column; the layers that read it agree with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import qbank_connect.models as models
from qbank_connect import _operations, _tracing
from qbank_connect._stores import journal as _journal
from qbank_connect.cli._options import OPERATIONS as CLI_COMMANDS

SPEC = yaml.safe_load((Path(__file__).parent.parent / "spec" / "openapi.yaml").read_text())


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    found: Any = SPEC
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return _resolve(found)


def _schema_name(content: dict[str, Any]) -> str | None:
    for media in content.values():
        ref = media.get("schema", {}).get("$ref")
        if ref:
            return str(ref.rsplit("/", 1)[1])
    return None


def spec_rows() -> set[tuple[Any, ...]]:
    """One row per spec operation, in the table's columns."""
    rows = set()
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            parameters = [_resolve(p) for p in op.get("parameters", [])]
            security = op.get("security", SPEC.get("security", []))
            scopes = [scope for requirement in security for scope in requirement.get("oauth2", [])]
            success = next(
                r for status, r in op["responses"].items() if str(status).startswith("2")
            )
            body = op.get("requestBody", {}).get("content", {})
            transactional = any(
                p["in"] == "header" and p["name"] == "Idempotency-Key" and p.get("required")
                for p in parameters
            )
            request = body.get("application/json")
            rows.add(
                (
                    method.upper(),
                    path,
                    op["operationId"],
                    scopes[0] if scopes else None,
                    transactional,
                    _schema_name(_resolve(success).get("content", {})),
                    _schema_name({"application/json": request}) if request else None,
                    tuple(p["name"] for p in parameters if p["in"] == "query"),
                    transactional and request is not None,  # recover() resends JSON bodies
                )
            )
    return rows


def test_the_operation_table_is_the_spec() -> None:
    table = {
        (
            op.method,
            op.path,
            op.operation_id,
            op.scope,
            op.transactional,
            op.answer,
            op.request,
            op.query,
            op.recoverable,
        )
        for op in _operations.OPERATIONS
    }
    assert table == spec_rows()


@pytest.mark.parametrize("op", _operations.OPERATIONS, ids=lambda op: op.operation_id)
def test_every_row_names_real_models_and_every_layer_reads_it(op: _operations.Operation) -> None:
    assert issubclass(op.model, models.ResponseModel)
    assert op.body is None or issubclass(op.body, models.RequestModel)
    concrete = op.path.replace("{account_id}", "acc_1").replace(
        "{payment_id}", "5f0c1d2e-1111-4111-8111-111111111111"
    )
    assert _operations.route(op.method, concrete) is op
    assert _tracing.route(op.method, concrete) == (op.path, op.operation_id)
    assert (op.operation_id in _journal.RECOVERABLE) == op.recoverable
    if op.recoverable:
        assert _journal.RECOVERABLE[op.operation_id] == (op.path, op.model)


def test_the_cli_has_a_command_for_every_operation_and_keys_the_transactional_ones() -> None:
    from typer.main import get_command

    from qbank_connect.cli import _app

    root = get_command(_app.app)
    assert set(CLI_COMMANDS) == {op.operation_id for op in _operations.OPERATIONS}
    for op in _operations.OPERATIONS:
        group, name = CLI_COMMANDS[op.operation_id].split()
        command = root.commands[group].commands[name]  # type: ignore[attr-defined]
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert ("--idempotency-key" in options) == op.transactional, op.operation_id
        assert ("--reference" in options) == op.transactional, op.operation_id
