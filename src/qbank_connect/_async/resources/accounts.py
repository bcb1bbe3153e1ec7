"""``client.accounts``: the client's bank accounts (batch-latent, refreshed nightly)."""

from __future__ import annotations

from typing import cast

import httpx2

from ..._response import async_raw_method
from ..._validation import limit_param, path_id, query, text_param
from ...models import Account, AccountList
from ..pagination import AsyncPage
from .base import AsyncResource

__all__ = ["AsyncAccounts", "AsyncAccountsWithRawResponse"]


class AsyncAccounts(AsyncResource):
    async def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncPage[Account]:
        """List the client's accounts, a page at a time (``limit`` 1-100, default 25).

        Example::

            page = await client.accounts.list(limit=10)
            async for account in page:
                print(account.id, account.name)
        """
        params = query(
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return cast(
            AsyncPage[Account],
            await self._list(
                "/accounts",
                model=AccountList,
                params=params or {},
                timeout=timeout,
                max_retries=max_retries,
            ),
        )

    async def get(
        self,
        account_id: str,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Account:
        """Get one account.

        Example::

            account = await client.accounts.get("acc_operating")
            print(account.account_number_last4)
        """
        return cast(
            Account,
            await self._call(
                "GET",
                "/accounts/" + path_id("account_id", account_id),
                model=Account,
                timeout=timeout,
                max_retries=max_retries,
            ),
        )


class AsyncAccountsWithRawResponse:
    def __init__(self, accounts: AsyncAccounts) -> None:
        raw = AsyncAccounts(accounts._client, raw=True)
        self.list = async_raw_method(raw.list)
        self.get = async_raw_method(raw.get)
