"""Positive Pay: check issues in (transactional), exceptions awaiting a decision out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._call import Call, Pending
from ._idempotency import json_fingerprint
from ._reads import Listing, page_size
from ._records import CheckException, Origin
from ._validation import validate_check_issue

if TYPE_CHECKING:
    from ._app import App

__all__ = ["create_check_issue", "list_check_exceptions"]

CHECK_EXCEPTIONS = Listing[CheckException](
    lambda e: [e.seq], lambda e, audit: e.json(), descending=False
)


def create_check_issue(app: App, call: Call) -> Pending:
    """``createCheckIssue``: 202; a matching issue clears a ``NO_ISSUE_RECORD`` exception."""
    body = call.json_body(validate_check_issue)
    with app.lock:
        call.account(app.bank.accounts, body["account_id"], "account_id")

    def execute(origin: Origin) -> tuple[int, Any]:
        return 202, app.bank.create_check_issue(origin, body).json()

    return app.transactional(call, json_fingerprint(body), execute)


def list_check_exceptions(app: App, call: Call) -> Pending:
    """``listCheckExceptions``: the exceptions still ``PENDING_DECISION``, oldest first."""
    limit = page_size(call)
    account_id = call.param("account_id")

    def select() -> list[CheckException]:
        return [
            e
            for e in app.bank.exceptions
            if e.status == "PENDING_DECISION" and (account_id is None or e.account_id == account_id)
        ]

    filters = {"account_id": account_id} if account_id is not None else {}
    return CHECK_EXCEPTIONS.page(app, call, limit, filters, select)
