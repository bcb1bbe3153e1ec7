"""``client.balances``: real-time cash positions."""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from ..._operations import operation
from ..._response import async_raw_method
from ..._validation import path_id
from ...models import Balance
from .base import AsyncResource

__all__ = ["AsyncBalances", "AsyncBalancesWithRawResponse"]

_GET_BALANCE = operation("getBalance")


class AsyncBalances(AsyncResource):
    async def get(
        self,
        account_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Balance:
        """The current cash position of an account, read in real time from the core system.

        Example::

            balance = await client.balances.get("acc_operating")
            print(balance.available, balance.ledger, balance.currency)
        """
        return await self._get(
            _GET_BALANCE,
            Balance,
            path=_GET_BALANCE.url(account_id=path_id("account_id", account_id)),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )


class AsyncBalancesWithRawResponse:
    """``client.with_raw_response.balances``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, balances: AsyncBalances) -> None:
        self.get = async_raw_method(balances.get)
