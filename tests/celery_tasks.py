"""The Celery app the worker tests run (tests/test_celery.py): ``QBankTask`` paying invoices,
with hooks for the tests. Configured from the environment the test sets."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery import Celery

from qbank_connect.contrib.celery import QBankTask

BROKER_URL = os.environ["CELERY_BROKER_URL"]

app = Celery("celery_tasks", broker=BROKER_URL, backend=BROKER_URL)
app.conf.update(
    worker_prefetch_multiplier=1,
    broker_transport_options={
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
        # kombu 5.7 scans for unacknowledged messages every interval x throttle seconds.
        "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "60")),
        "unacked_restore_throttle": 1,
    },
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    result_serializer="json",
)
# The client of every worker process; max_retries=0: the task's retries are the ones tested.
app.conf.qbank = {"journal": os.environ["QBANK_JOURNAL"], "timeout": 10, "max_retries": 0}


@app.task(
    base=QBankTask,
    bind=True,
    business_key="invoice:{invoice_id}",
    retry_backoff=False,
    default_retry_delay=0.2,
)
def pay_invoice(
    self: QBankTask, invoice_id: str, amount: str, recipient: dict[str, str], effective_date: str
) -> dict[str, Any]:
    mark(invoice_id, "run")
    payment = self.qbank.payments.create_ach(
        request={
            "source_account_id": "acc_operating",
            "recipient_details": recipient,
            "amount": amount,
            "effective_date": effective_date,
            "memo": f"Invoice {invoice_id}",
        },
        reference=self.reference,
    )
    mark(invoice_id, "paid", payment.id)
    pause = float(os.environ.get("QBANK_DEMO_PAUSE_AFTER_PAYMENT", "0"))
    if pause:
        time.sleep(pause)  # the test SIGKILLs the worker here: paid, not acknowledged
    return {
        "invoice_id": invoice_id,
        "payment_id": payment.id,
        "reference": self.reference,
        "retries": self.request.retries,
        "pid": os.getpid(),
    }


def mark(invoice_id: str, what: str, text: str = "") -> None:
    """Leave a file saying that this process ran (or paid) the task; the tests count them."""
    directory = Path(os.environ["QBANK_DEMO_MARKER_DIR"])
    (directory / f"{invoice_id}.{what}.{os.getpid()}.{time.monotonic_ns()}").write_text(text)
