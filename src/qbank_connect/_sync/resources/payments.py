# Generated from src/qbank_connect/_async/resources/payments.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""``client.payments``: ACH (single and NACHA files), wires, status, history and waiting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx2

from ..._concurrency import sleep
from ..._options import RequestOptions
from ..._paginator import paginated
from ..._response import raw_method
from ..._upload import AchFileSource, AchUpload
from ..._validation import coerce_body, limit_param, payment_id_param, query, text_param
from ...errors import QBankPaymentWaitTimeout
from ...models import (
    AchFile,
    AchPaymentRequest,
    Payment,
    PaymentList,
    PaymentStatus,
    WirePaymentRequest,
)
from ..pagination import Page
from .base import Resource

__all__ = ["Payments", "PaymentsWithRawResponse"]


class Payments(Resource):
    def create_ach(
        self,
        request: AchPaymentRequest | Mapping[str, Any],
        *,
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        conflict_wait: float | None = None,
    ) -> Payment:
        """Initiate one ACH payment; it is ``P_PENDING`` until the next 15-minute batch.

        Sent with an ``Idempotency-Key`` (a new UUID v4 unless you pass ``idempotency_key``, or
        the one derived from your ``reference``, e.g. ``"invoice:INV-1042"``: the same in every
        process); automatic retries reuse it, so the payment is made at most once.

        Example::

            payment = client.payments.create_ach(request=AchPaymentRequest(
                source_account_id="acc_operating",
                recipient_details={"name": "Acme Supplies", "routing_number": "021000021",
                                   "account_number": "123456789", "account_type": "checking"},
                amount="1000.50",
                effective_date="2026-11-23",
            ))
        """
        body = coerce_body(AchPaymentRequest, request).to_wire()
        return self._transact(
            RequestOptions(
                "POST", "/payments/ach", "createAchPayment", "/payments/ach", json_body=body
            ),
            Payment,
            idempotency_key=idempotency_key,
            reference=reference,
            timeout=timeout,
            max_retries=max_retries,
            conflict_wait=conflict_wait,
        )

    def upload_ach_file(
        self,
        file: AchFileSource,
        *,
        source_account_id: str | None = None,
        file_name: str | None = None,
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        conflict_wait: float | None = None,
    ) -> AchFile:
        """Upload a NACHA file (bulk ACH); each entry becomes a ``P_PENDING`` payment.

        ``file`` is a path, bytes or a binary file object. It is streamed, never read into memory
        whole. Retries re-send it from the start when it can seek; a stream that cannot seek is
        not retried (the error says so: call again with a fresh stream and the same key).

        Example::

            ach_file = client.payments.upload_ach_file(
                "payroll-2026-11-21.ach", source_account_id="acc_payroll"
            )
            print(ach_file.entry_count, ach_file.total_credit)
        """
        fields = query(
            source_account_id=(
                None
                if source_account_id is None
                else text_param("source_account_id", source_account_id)
            )
        )
        with AchUpload(file, file_name=file_name) as upload:
            return self._transact(
                RequestOptions(
                    "POST",
                    "/payments/ach/files",
                    "uploadAchFile",
                    "/payments/ach/files",
                    upload=upload,
                    upload_fields=fields,
                ),
                AchFile,
                idempotency_key=idempotency_key,
                reference=reference,
                timeout=timeout,
                max_retries=max_retries,
                conflict_wait=conflict_wait,
            )

    def create_wire(
        self,
        request: WirePaymentRequest | Mapping[str, Any],
        *,
        idempotency_key: str | uuid.UUID | None = None,
        reference: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
        conflict_wait: float | None = None,
    ) -> Payment:
        """Send a wire, in real time. Idempotent like every transactional call.

        Example::

            wire = client.payments.create_wire(request={
                "source_account_id": "acc_operating", "amount": "25000.00",
                "beneficiary": {"name": "Globex GmbH", "account_number": "DE89370400440532013000",
                                "bic": "COBADEFFXXX"},
            })
        """
        body = coerce_body(WirePaymentRequest, request).to_wire()
        return self._transact(
            RequestOptions(
                "POST", "/payments/wire", "createWirePayment", "/payments/wire", json_body=body
            ),
            Payment,
            idempotency_key=idempotency_key,
            reference=reference,
            timeout=timeout,
            max_retries=max_retries,
            conflict_wait=conflict_wait,
        )

    def get(
        self,
        payment_id: str,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Payment:
        """The current status and status history of a payment (ACH, wire or transfer).

        Example::

            payment = client.payments.get("5f0c...-...")
            print(payment.status, payment.is_final)
        """
        return self._get(
            "/payments/" + payment_id_param(payment_id),
            Payment,
            operation="getPayment",
            url_template="/payments/{payment_id}",
            timeout=timeout,
            max_retries=max_retries,
        )

    def get_payment_status(
        self,
        payment_id: str,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Payment:
        """The same as :meth:`get`, under the name the SDK guide uses.

        Example::

            payment = client.payments.get_payment_status(conflict.transaction_id)
        """
        return self.get(payment_id, timeout=timeout, max_retries=max_retries)

    @paginated
    def list(
        self,
        *,
        account_id: str | None = None,
        status: PaymentStatus | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Page[Payment]:
        """The client's payments, newest first, optionally by source account and status.

        Example::

            for payment in client.payments.list(status=PaymentStatus.P_FAILED):
                print(payment.id, payment.failure_code)
        """
        params = query(
            account_id=None if account_id is None else text_param("account_id", account_id),
            status=None if status is None else text_param("status", status, max_length=64),
            limit=None if limit is None else limit_param(limit),
            cursor=None if cursor is None else text_param("cursor", cursor, max_length=2048),
        )
        return self._list(
            "/payments",
            PaymentList,
            operation="listPayments",
            params=params,
            timeout=timeout,
            max_retries=max_retries,
        )

    def wait(
        self,
        payment_id: str,
        *,
        timeout: float = 300.0,
        poll_interval: float = 2.0,
        max_poll_interval: float = 30.0,
    ) -> Payment:
        """Poll a payment until it is final (``P_COMPLETED`` or ``P_FAILED``) and return it.

        The interval grows by half each poll, up to ``max_poll_interval``. After ``timeout``
        seconds it raises :class:`~qbank_connect.errors.QBankPaymentWaitTimeout`, which carries
        the last payment seen. This is the recovery for an idempotency conflict::

            try:
                payment = client.payments.create_ach(request=ach, idempotency_key=key)
            except QBankIdempotencyConflict as e:
                payment = client.payments.wait(e.transaction_id)
        """
        payment_id_param(payment_id)
        for name, value in (("timeout", timeout), ("poll_interval", poll_interval)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        deadline = time.monotonic() + timeout
        interval = max(poll_interval, 0.001)
        payment: Payment | None = None
        while True:
            payment = self.get(payment_id)
            if payment.is_final:
                return payment
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QBankPaymentWaitTimeout(
                    f"payment {payment_id} is still {payment.status} after {timeout:g}s",
                    payment_id=payment_id,
                    payment=payment,
                )
            sleep(min(interval, remaining))
            interval = min(interval * 1.5, max(max_poll_interval, poll_interval))


class PaymentsWithRawResponse:
    """``client.with_raw_response.payments``: the same calls, answering :class:`RawResponse`."""

    def __init__(self, payments: Payments) -> None:
        self.create_ach = raw_method(payments.create_ach)
        self.upload_ach_file = raw_method(payments.upload_ach_file)
        self.create_wire = raw_method(payments.create_wire)
        self.get = raw_method(payments.get)
        self.get_payment_status = raw_method(payments.get_payment_status)
        self.list = raw_method(payments.list)
