# Generated from src/qbank_connect/_async/resources/transactions.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``client.transactions``: posted history (batch-latent, end-of-day sync)."""

from __future__ import annotations

from datetime import date
from typing import cast

import httpx2

from ..._response import raw_method
from ..._validation import date_param, limit_param, query, text_param
from ...models import Transaction, TransactionList
from ..pagination import Page
from .base import Resource

__all__ = ["Transactions", "TransactionsWithRawResponse"]


class Transactions(Resource):
    def list(
        self,
        *,
        account_id: str,
        from_date: date | str | None = None,
        to_date: date | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Page[Transaction]:
        """An account's transactions, newest posting first. Dates bound ``posting_date``, inclusive.

        Example::

            page = client.transactions.list(
                account_id="acc_operating", from_date=date(2026, 11, 1), to_date="2026-11-21"
            )
            for tx in page:
                print(tx.posting_date, tx.direction, tx.amount)
        """
        params = query(
            account_id=text_param("account_id", account_id),
            from_date=None if from_date is None else date_param("from_date", from_date),
            to_date=None if to_date is None else date_param("to_date", to_date),
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return cast(
            Page[Transaction],
            self._list(
                "/transactions",
                model=TransactionList,
                params=params or {},
                timeout=timeout,
                max_retries=max_retries,
            ),
        )


class TransactionsWithRawResponse:
    def __init__(self, transactions: Transactions) -> None:
        raw = Transactions(transactions._client, raw=True)
        self.list = raw_method(raw.list)
