# Generated from src/qbank_connect/_async/resources/transfers.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``client.transfers``: real-time moves between the client's own accounts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx2

from ..._options import RequestOptions
from ..._response import raw_method
from ..._validation import coerce_body
from ...models import Payment, TransferRequest
from .base import Resource

__all__ = ["Transfers", "TransfersWithRawResponse"]


class Transfers(Resource):
    def create(
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

            payment = client.transfers.create(
                request={"source_account_id": "acc_operating",
                         "destination_account_id": "acc_payroll", "amount": "2500.00"},
                reference="sweep:2026-11-21",
            )
        """
        body = coerce_body(TransferRequest, request).to_wire()
        return self._transact(
            RequestOptions("POST", "/transfers", "createTransfer", "/transfers", json_body=body),
            Payment,
            idempotency_key=idempotency_key,
            reference=reference,
            timeout=timeout,
            max_retries=max_retries,
            conflict_wait=conflict_wait,
        )


class TransfersWithRawResponse:
    """``client.with_raw_response.transfers``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, transfers: Transfers) -> None:
        self.create = raw_method(transfers.create)
