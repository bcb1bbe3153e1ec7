"""A FastAPI endpoint that pays an invoice through the SDK (tested in test_shop_fastapi.py).

The client is a dependency, so a test can hand the endpoint the ``qbank_client`` fixture.
The idempotency key comes from the invoice number: paying the same invoice twice (a double
click, a retried request) makes one payment.
"""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from qbank_connect import QBankConnect, idempotency_key_for

app = FastAPI()


@functools.lru_cache(maxsize=1)
def get_qbank() -> QBankConnect:
    """One client per process, configured from QBANK_CLIENT_ID / QBANK_CLIENT_SECRET."""
    return QBankConnect()


class Payee(BaseModel):
    name: str
    routing_number: str
    account_number: str
    amount: str


@app.post("/invoices/{invoice_id}/pay")
def pay_invoice(
    invoice_id: str, payee: Payee, qbank: Annotated[QBankConnect, Depends(get_qbank)]
) -> dict[str, str]:
    payment = qbank.payments.create_ach(
        request={
            "source_account_id": "acc_operating",
            "amount": payee.amount,
            "effective_date": "2026-11-23",
            "memo": invoice_id,
            "recipient_details": {
                "name": payee.name,
                "routing_number": payee.routing_number,
                "account_number": payee.account_number,
                "account_type": "checking",
            },
        },
        idempotency_key=idempotency_key_for("pay_invoice", invoice_id),
    )
    return {"payment_id": payment.id, "status": str(payment.status)}
