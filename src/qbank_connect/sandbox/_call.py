"""One routed request on its way through the sandbox, and the answers a handler builds from it."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._auth import Token
from ._http import (
    JSON,
    Detail,
    Rejected,
    Request,
    Response,
    error_response,
    json_response,
)
from ._records import Account, Audit

__all__ = ["Call", "Pending"]


@dataclass
class Pending:
    """Work a handler prepared: ``run`` executes it (after any injected latency)."""

    run: Callable[[], Response]


@dataclass
class Call:
    """A request matched to its operation: path parameters, request id and, once
    authenticated, the caller's token (and the transactional ``idempotency_key``)."""

    request: Request
    request_id: str
    operation_id: str
    path: Mapping[str, str]
    token: Token | None = None
    idempotency_key: str = ""

    @property
    def client_id(self) -> str:
        assert self.token is not None, "only authenticated operations have a client"
        return self.token.client_id

    def param(self, name: str) -> str | None:
        return self.request.param(name)

    def audit(self, now: datetime) -> Audit:
        return Audit(now, self.client_id, self.request_id)

    def respond(
        self,
        status: int,
        payload: Any,
        *,
        content_type: str = JSON,
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        return json_response(
            self.request_id, status, payload, content_type=content_type, headers=headers
        )

    def error(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[Detail] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> Rejected:
        """An error answer, to ``raise``."""
        return Rejected(
            error_response(self.request_id, status, code, message, details=details, headers=headers)
        )

    def invalid(self, details: list[Detail]) -> Rejected:
        """A 400 ``ERR_VAL_001`` naming the fields, to ``raise``."""
        return self.error(400, "ERR_VAL_001", "The request is invalid.", details=details)

    def json_body(self, validate: Callable[[Any], list[Detail]]) -> Any:
        """The JSON body, checked by ``validate`` (raises a 400 naming what is wrong)."""
        content_type = self.request.content_type()
        if content_type != JSON and not content_type.endswith("+json"):
            raise self.invalid(
                [{"field": "body", "issue": "Content-Type must be application/json"}]
            )
        try:
            body = json.loads(self.request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self.invalid([{"field": "body", "issue": "must be valid JSON"}])
        details = validate(body)
        if details:
            raise self.invalid(details)
        return body

    def account(
        self, accounts: Mapping[str, Account], account_id: str, field: str | None = None
    ) -> Account:
        """The account, or a 404 ``ERR_ACC_001`` (naming ``field`` when it came from a body
        or query field)."""
        account = accounts.get(account_id)
        if account is None:
            details: list[Detail] | None = (
                [{"field": field, "issue": "no such account"}] if field else None
            )
            raise self.error(
                404, "ERR_ACC_001", f"Account {account_id} was not found.", details=details
            )
        return account
