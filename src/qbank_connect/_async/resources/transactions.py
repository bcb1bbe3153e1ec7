"""``client.transactions``: posted history (batch-latent, end-of-day sync)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import httpx2

from ..._operations import operation
from ..._paginator import async_paginated
from ..._response import async_raw_method
from ..._validation import date_range_params, limit_param, query, text_param
from ...models import Transaction, TransactionList
from ..pagination import AsyncPage
from .base import AsyncResource

__all__ = ["AsyncTransactions", "AsyncTransactionsWithRawResponse"]

_LIST = operation("listTransactions")


class AsyncTransactions(AsyncResource):
    @async_paginated
    async def list(
        self,
        *,
        account_id: str,
        from_date: date | str | None = None,
        to_date: date | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncPage[Transaction]:
        """An account's transactions, newest posting first. Dates bound ``posting_date``, inclusive.

        Example::

            async for tx in client.transactions.list(
                account_id="acc_operating", from_date=date(2026, 11, 1), to_date="2026-11-21"
            ):
                print(tx.posting_date, tx.direction, tx.amount)
        """
        from_param, to_param = date_range_params(from_date, to_date)
        params = query(
            account_id=text_param("account_id", account_id),
            from_date=from_param,
            to_date=to_param,
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return await self._list(
            _LIST,
            TransactionList,
            params=params,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )


class AsyncTransactionsWithRawResponse:
    """``client.with_raw_response.transactions``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, transactions: AsyncTransactions) -> None:
        self.list = async_raw_method(transactions.list)
