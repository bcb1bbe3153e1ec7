"""``client.accounts``: the client's bank accounts (batch-latent, refreshed nightly)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from ..._operations import operation
from ..._paginator import async_paginated
from ..._response import async_raw_method
from ..._validation import limit_param, path_id, query, text_param
from ...models import Account, AccountList
from ..pagination import AsyncPage
from .base import AsyncResource

__all__ = ["AsyncAccounts", "AsyncAccountsWithRawResponse"]

_LIST = operation("listAccounts")
_GET = operation("getAccount")


class AsyncAccounts(AsyncResource):
    @async_paginated
    async def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
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
            _LIST,
            AccountList,
            params=params,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )

    async def get(
        self,
        account_id: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Account:
        """Get one account.

        Example::

            account = await client.accounts.get("acc_operating")
            print(account.account_number_last4)
        """
        return await self._get(
            _GET,
            Account,
            path=_GET.url(account_id=path_id("account_id", account_id)),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )


class AsyncAccountsWithRawResponse:
    """``client.with_raw_response.accounts``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, accounts: AsyncAccounts) -> None:
        self.list = async_raw_method(accounts.list)
        self.get = async_raw_method(accounts.get)
