"""``client.transactions``: posted history (batch-latent, end-of-day sync)."""

from __future__ import annotations

from datetime import date
from typing import cast

import httpx2

from ..._response import async_raw_method
from ..._validation import date_param, limit_param, query, text_param
from ...models import Transaction, TransactionList
from ..pagination import AsyncPage
from .base import AsyncResource

__all__ = ["AsyncTransactions", "AsyncTransactionsWithRawResponse"]


class AsyncTransactions(AsyncResource):
    async def list(
        self,
        *,
        account_id: str,
        from_date: date | str | None = None,
        to_date: date | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncPage[Transaction]:
        """An account's transactions, newest posting first. Dates bound ``posting_date``, inclusive.

        Example::

            page = await client.transactions.list(
                account_id="acc_operating", from_date=date(2026, 11, 1), to_date="2026-11-21"
            )
            async for tx in page:
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
            AsyncPage[Transaction],
            await self._list(
                "/transactions",
                model=TransactionList,
                params=params or {},
                timeout=timeout,
                max_retries=max_retries,
            ),
        )


class AsyncTransactionsWithRawResponse:
    def __init__(self, transactions: AsyncTransactions) -> None:
        raw = AsyncTransactions(transactions._client, raw=True)
        self.list = async_raw_method(raw.list)
