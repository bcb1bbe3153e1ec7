"""``client.accounts``: the client's bank accounts (batch-latent, refreshed nightly)."""

from __future__ import annotations

import httpx2

from ..._paginator import async_paginated
from ..._response import async_raw_method
from ..._validation import limit_param, path_id, query, text_param
from ...models import Account, AccountList
from ..pagination import AsyncPage
from .base import AsyncResource

__all__ = ["AsyncAccounts", "AsyncAccountsWithRawResponse"]


class AsyncAccounts(AsyncResource):
    @async_paginated
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

            async for account in client.accounts.list(limit=10):   # every page
                print(account.id, account.name)
        """
        params = query(
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return await self._list(
            "/accounts",
            AccountList,
            operation="listAccounts",
            params=params,
            timeout=timeout,
            max_retries=max_retries,
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
        return await self._get(
            "/accounts/" + path_id("account_id", account_id),
            Account,
            operation="getAccount",
            url_template="/accounts/{account_id}",
            timeout=timeout,
            max_retries=max_retries,
        )


class AsyncAccountsWithRawResponse:
    """``client.with_raw_response.accounts``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, accounts: AsyncAccounts) -> None:
        self.list = async_raw_method(accounts.list)
        self.get = async_raw_method(accounts.get)
