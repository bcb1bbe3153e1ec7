"""``client.transfers``: real-time moves between the client's own accounts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx2

from ..._options import RequestOptions
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
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        conflict_wait: float | None = None,
    ) -> Payment:
        """Move funds between two of the client's accounts, in real time.

        Sent with an ``Idempotency-Key`` (a new UUID v4 unless you pass ``idempotency_key``, or
        the one derived from your ``reference``); automatic retries reuse it, so the transfer
        happens at most once.

        Example::

            payment = await client.transfers.create(
                request={"source_account_id": "acc_operating",
                         "destination_account_id": "acc_payroll", "amount": "2500.00"},
                reference="sweep:2026-11-21",
            )
        """
        body = coerce_body(TransferRequest, request).to_wire()
        return await self._transact(
            RequestOptions("POST", "/transfers", "createTransfer", "/transfers", json_body=body),
            Payment,
            idempotency_key=idempotency_key,
            reference=reference,
            timeout=timeout,
            max_retries=max_retries,
            conflict_wait=conflict_wait,
        )


class AsyncTransfersWithRawResponse:
    """``client.with_raw_response.transfers``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, transfers: AsyncTransfers) -> None:
        self.create = async_raw_method(transfers.create)
