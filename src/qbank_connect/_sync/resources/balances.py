# Generated from src/qbank_connect/_async/resources/balances.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``client.balances``: real-time cash positions."""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from ..._operations import operation
from ..._response import raw_method
from ..._validation import path_id
from ...models import Balance
from .base import Resource

__all__ = ["Balances", "BalancesWithRawResponse"]

_GET_BALANCE = operation("getBalance")


class Balances(Resource):
    def get(
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

            balance = client.balances.get("acc_operating")
            print(balance.available, balance.ledger, balance.currency)
        """
        return self._get(
            _GET_BALANCE,
            Balance,
            path=_GET_BALANCE.url(account_id=path_id("account_id", account_id)),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            max_retries=max_retries,
        )


class BalancesWithRawResponse:
    """``client.with_raw_response.balances``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, balances: Balances) -> None:
        self.get = raw_method(balances.get)
