"""The sandbox's one operation table matches spec/openapi.yaml, row for row."""

from __future__ import annotations

import pytest

from qbank_connect.sandbox import OPERATION_SCOPES, TRANSACTIONAL_OPERATIONS
from qbank_connect.sandbox._operations import OPERATIONS, Operation, route

from ._helpers import SPEC, resolve


def _spec_rows() -> dict[str, tuple[str, str, str | None, bool]]:
    """operationId -> (method, path, scope, requires an Idempotency-Key)."""
    rows = {}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            security = operation.get("security", SPEC["security"])
            scopes = [scope for requirement in security for scope in requirement.get("oauth2", [])]
            assert len(scopes) <= 1, operation["operationId"]
            idempotent = any(
                (p := resolve(param))["name"] == "Idempotency-Key"
                and p["in"] == "header"
                and p.get("required")
                for param in operation.get("parameters", [])
            )
            rows[operation["operationId"]] = (
                method.upper(),
                path,
                scopes[0] if scopes else None,
                idempotent,
            )
    return rows


SPEC_ROWS = _spec_rows()


def _row(op: Operation) -> tuple[str, str, str | None, bool]:
    return (op.method, op.path, op.scope, op.transactional)


def test_the_table_has_every_spec_operation_and_nothing_else() -> None:
    table = {op.operation_id: _row(op) for op in OPERATIONS}
    assert len(table) == len(OPERATIONS)  # no operationId twice
    assert table == SPEC_ROWS


def test_derived_names_follow_the_table() -> None:
    assert dict(OPERATION_SCOPES) == {
        name: scope for name, (_, _, scope, _) in SPEC_ROWS.items() if scope is not None
    }
    assert set(TRANSACTIONAL_OPERATIONS) == {
        name for name, (_, _, _, idempotent) in SPEC_ROWS.items() if idempotent
    }


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.operation_id)
def test_every_operation_is_reached_by_its_own_path(op: Operation) -> None:
    concrete = op.path.replace("{account_id}", "acc_x").replace("{payment_id}", "pay_x")
    found = route(op.method, concrete)
    assert found.operation is op
    assert dict(found.params) == {
        name: value
        for name, value in (("account_id", "acc_x"), ("payment_id", "pay_x"))
        if "{" + name + "}" in op.path
    }


def test_head_is_routed_as_get_and_other_methods_list_what_is_allowed() -> None:
    assert route("HEAD", "/accounts").operation is route("GET", "/accounts").operation
    refused = route("OPTIONS", "/payments/ach")
    assert refused.operation is None and refused.allowed == ("POST",)
    missing = route("GET", "/nothing")
    assert missing.operation is None and missing.allowed == ()


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(
    "op", [op for op in OPERATIONS if "{" not in op.path], ids=lambda op: op.operation_id
)
def test_a_literal_path_wins_over_a_template_for_every_method(op: Operation, method: str) -> None:
    """``/payments/ach`` is never ``/payments/{payment_id}``, whatever the method."""
    found = route(method, op.path)
    same_path = {other.method for other in OPERATIONS if other.path == op.path}
    wanted = "GET" if method == "HEAD" else method
    if wanted in same_path:
        assert found.operation is not None and found.operation.path == op.path
    else:
        assert found.operation is None and found.allowed == tuple(sorted(same_path))
