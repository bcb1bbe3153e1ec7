# Generated from src/qbank_connect/_async/resources/positive_pay.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``client.positive_pay``: issued-check registration and exceptions awaiting a decision."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx2

from ..._options import RequestOptions
from ..._paginator import paginated
from ..._response import raw_method
from ..._validation import coerce_body, limit_param, query, text_param
from ...models import CheckException, CheckExceptionList, CheckIssue, CheckIssueRequest
from ..pagination import Page
from .base import Resource

__all__ = ["PositivePay", "PositivePayWithRawResponse"]


class PositivePay(Resource):
    def create_issue(
        self,
        request: CheckIssueRequest | Mapping[str, Any],
        *,
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        conflict_wait: float | None = None,
    ) -> CheckIssue:
        """Register an issued check (or, with ``void=True``, a void) for Positive Pay matching.

        Example::

            issue = client.positive_pay.create_issue(
                request={"account_id": "acc_operating", "check_number": "10042",
                         "amount": "1250.00", "issue_date": "2026-11-20", "payee_name": "Acme"},
                reference="check:10042",
            )
        """
        body = coerce_body(CheckIssueRequest, request).to_wire()
        return self._transact(
            RequestOptions(
                "POST",
                "/positivepay/issues",
                "createCheckIssue",
                "/positivepay/issues",
                json_body=body,
            ),
            CheckIssue,
            idempotency_key=idempotency_key,
            reference=reference,
            timeout=timeout,
            max_retries=max_retries,
            conflict_wait=conflict_wait,
        )

    @paginated
    def list_exceptions(
        self,
        *,
        account_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Page[CheckException]:
        """Presented checks that matched no issue record and await a pay/return decision.

        Example::

            for exception in client.positive_pay.list_exceptions():
                print(exception.check_number, exception.reason, exception.decision_deadline)
        """
        params = query(
            account_id=None if account_id is None else text_param("account_id", account_id),
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return self._list(
            "/positivepay/exceptions",
            CheckExceptionList,
            operation="listCheckExceptions",
            params=params,
            timeout=timeout,
            max_retries=max_retries,
        )


class PositivePayWithRawResponse:
    """``client.with_raw_response.positive_pay``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, positive_pay: PositivePay) -> None:
        self.create_issue = raw_method(positive_pay.create_issue)
        self.list_exceptions = raw_method(positive_pay.list_exceptions)
