# Generated from src/qbank_connect/_async/resources/accounts.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``client.accounts``: the client's bank accounts (batch-latent, refreshed nightly)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from ..._operations import operation
from ..._paginator import paginated
from ..._response import raw_method
from ..._validation import limit_param, path_id, query, text_param
from ...models import Account, AccountList
from ..pagination import Page
from .base import Resource

__all__ = ["Accounts", "AccountsWithRawResponse"]

_LIST = operation("listAccounts")
_GET = operation("getAccount")


class Accounts(Resource):
    @paginated
    def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, object] | None = None,
        extra_body: Mapping[str, object] | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Page[Account]:
        """List the client's accounts, a page at a time (``limit`` 1-100, default 25).

        Example::

            for account in client.accounts.list(limit=10):   # every page
                print(account.id, account.name)
        """
        params = query(
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return self._list(
            _LIST,
            AccountList,
            params=params,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )

    def get(
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

            account = client.accounts.get("acc_operating")
            print(account.account_number_last4)
        """
        return self._get(
            _GET,
            Account,
            path=_GET.url(account_id=path_id("account_id", account_id)),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )


class AccountsWithRawResponse:
    """``client.with_raw_response.accounts``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, accounts: Accounts) -> None:
        self.list = raw_method(accounts.list)
        self.get = raw_method(accounts.get)
