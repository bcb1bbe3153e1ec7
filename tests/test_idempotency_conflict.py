"""The 409 idempotency conflict: ``transaction_id`` is a ``str``, because the contract requires it.

A 409 problem body without it is off-contract: there is nothing to follow, so it is not an
idempotency conflict but a plain ``QBankConflictError`` that says so and still carries the key.
"""

from __future__ import annotations

import httpx2
import pytest

from qbank_connect import errors
from qbank_connect._response import error_from_response

KEY = "0b6c8f7e-2a61-4d0b-9a3e-7f1c2d3e4f50"
PROBLEM = {
    "type": "https://docs.qbankconnect.com/problems/idempotency-conflict",
    "title": "Idempotency Violation",
    "status": 409,
    "detail": "There is already a request with this key being processed",
    "transaction_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
}


def conflict(body: dict[str, object]) -> errors.QBankAPIError:
    response = httpx2.Response(409, json=body, headers={"content-type": "application/problem+json"})
    return error_from_response(response, idempotency_key=KEY)


def test_a_conflict_names_the_transaction_to_follow() -> None:
    error = conflict(PROBLEM)
    assert isinstance(error, errors.QBankIdempotencyConflict)
    transaction_id: str = error.transaction_id
    assert transaction_id == PROBLEM["transaction_id"]
    assert f"transaction_id={transaction_id}" in str(error)


@pytest.mark.parametrize("transaction_id", [None, "", 42])
def test_a_problem_without_a_transaction_id_is_a_plain_conflict_that_says_so(
    transaction_id: object,
) -> None:
    body = {k: v for k, v in PROBLEM.items() if k != "transaction_id"}
    if transaction_id is not None:
        body["transaction_id"] = transaction_id
    error = conflict(body)
    assert type(error) is errors.QBankConflictError
    assert "without a transaction_id" in str(error)
    assert "retry later with the same key" in str(error)
    assert error.idempotency_key == KEY
    assert KEY in str(error)
