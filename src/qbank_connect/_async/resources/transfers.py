"""``client.transfers``: real-time moves between the client's own accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import httpx2

from ..._response import async_raw_method
from ..._validation import coerce_body
from ...models import Payment, TransferRequest
from .base import AsyncResource

__all__ = ["AsyncTransfers", "AsyncTransfersWithRawResponse"]


class AsyncTransfers(AsyncResource):
    async def create(
        self,
        request: TransferRequest | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Payment:
        """Move funds between two of the client's accounts, in real time.

        Sent with an ``Idempotency-Key`` (a new UUID v4 unless you pass ``idempotency_key``);
        automatic retries reuse it, so the transfer happens at most once.

        Example::

            payment = await client.transfers.create(
                request={"source_account_id": "acc_operating",
                         "destination_account_id": "acc_payroll", "amount": "2500.00"}
            )
        """
        return cast(
            Payment,
            await self._transact(
                "/transfers",
                coerce_body(TransferRequest, request),
                model=Payment,
                idempotency_key=idempotency_key,
                timeout=timeout,
                max_retries=max_retries,
            ),
        )


class AsyncTransfersWithRawResponse:
    def __init__(self, transfers: AsyncTransfers) -> None:
        raw = AsyncTransfers(transfers._client, raw=True)
        self.create = async_raw_method(raw.create)
