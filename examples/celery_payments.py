"""Paying invoices from Celery: exactly one payment per invoice, even when a worker dies mid-task.

    celery -A celery_payments worker --loglevel=INFO     # from examples/ (see docs/celery.md)

The three things that make it safe:

1. ``acks_late=True`` and ``reject_on_worker_lost=True``: the message is acknowledged only when
   the task has finished, so a worker killed mid-task (OOM, SIGKILL, a lost node) leaves it
   with the broker, which delivers it again (Redis: once ``visibility_timeout`` has passed).
2. An idempotency key derived from the invoice, not drawn at random: every delivery of the task,
   and every retry inside it, sends the same key, so QBank executes the payment at most once and
   a redelivered task gets the first payment back (``Idempotent-Replayed: true``).
3. ``QBankIdempotencyConflict`` (the first delivery is still executing at QBank) is not an
   error: the task waits for that payment instead of paying again.

Configuration comes from the environment: ``QBANK_CLIENT_ID``, ``QBANK_CLIENT_SECRET``,
``QBANK_BASE_URL`` (e.g. the sandbox: ``python -m qbank_connect.sandbox --port 8080``),
``CELERY_BROKER_URL`` (default ``redis://127.0.0.1:6379/0``), ``CELERY_RESULT_BACKEND``,
``CELERY_VISIBILITY_TIMEOUT`` (seconds; default 3600, longer than any task may run) and
``CELERY_RESTORE_INTERVAL`` (seconds between scans for such messages; default 60).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from celery import Celery

from qbank_connect import QBankConnect, idempotency_key_for
from qbank_connect.errors import (
    QBankConnectionError,
    QBankIdempotencyConflict,
    QBankInternalServerError,
    QBankRateLimitError,
)

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

app = Celery(
    "celery_payments",
    broker=BROKER_URL,
    backend=os.environ.get("CELERY_RESULT_BACKEND", BROKER_URL),
)
app.conf.update(
    task_acks_late=True,  # acknowledge after the task, not before
    task_reject_on_worker_lost=True,  # a child killed mid-task: requeue, don't acknowledge
    worker_prefetch_multiplier=1,  # don't hold messages another worker could run
    broker_transport_options={
        # Redis redelivers an unacknowledged message after this long: keep it longer than any task.
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
        # How often a worker looks for messages whose visibility timeout has passed (kombu 5.7+
        # scans every interval x throttle seconds: 10 x 10 by default).
        "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "60")),
        "unacked_restore_throttle": 1,
    },
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    result_serializer="json",
)


_client: QBankConnect | None = None


def qbank() -> QBankConnect:
    """One client per worker process, created on first use (the client is fork-safe anyway)."""
    global _client
    if _client is None:
        _client = QBankConnect(timeout=30, max_retries=3)
    return _client


@app.task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Transient failures: retry the task later with the same (derived) key.
    autoretry_for=(QBankConnectionError, QBankInternalServerError, QBankRateLimitError),
    retry_backoff=True,
    max_retries=5,
)
def pay_invoice(
    self: Any, invoice_id: str, amount: str, recipient: dict[str, str], effective_date: str
) -> dict[str, Any]:
    """Pay one invoice by ACH, once, however many times this task is delivered or retried.

    Every field of the payment comes from the task's arguments, fixed when it was enqueued: a
    redelivery must send the very same body with the same key (a body computed at run time,
    such as "today" as the effective date, would differ after midnight and QBank would refuse
    the key as reused: ``ERR_IDEM_002``)."""
    key = idempotency_key_for("pay_invoice", invoice_id)
    client = qbank()
    try:
        payment = client.payments.create_ach(
            request={
                "source_account_id": os.environ.get("QBANK_SOURCE_ACCOUNT", "acc_operating"),
                "recipient_details": recipient,
                "amount": amount,
                "effective_date": effective_date,
                "memo": f"Invoice {invoice_id}",
            },
            idempotency_key=key,
        )
    except QBankIdempotencyConflict as conflict:
        # An earlier delivery's request is still executing at QBank: follow it, don't pay again.
        payment = client.payments.wait(conflict.transaction_id, timeout=300)
    _after_payment(invoice_id, payment.id)
    return {
        "invoice_id": invoice_id,
        "payment_id": payment.id,
        "idempotency_key": key,
        "status": str(payment.status),
        "pid": os.getpid(),
    }


def _after_payment(invoice_id: str, payment_id: str) -> None:
    """A hook for the demo and its test (tests/test_celery.py): record that the payment call
    returned, then stall, so the worker can be killed after paying and before acknowledging."""
    marker_dir = os.environ.get("QBANK_DEMO_MARKER_DIR")
    if marker_dir:
        marker = Path(marker_dir) / f"{invoice_id}.{os.getpid()}.paid"
        marker.write_text(payment_id)
    pause = float(os.environ.get("QBANK_DEMO_PAUSE_AFTER_PAYMENT", "0"))
    if pause:
        time.sleep(pause)


if __name__ == "__main__":  # enqueue one invoice: python celery_payments.py INV-1042 125.00
    import sys

    invoice, amount = sys.argv[1], sys.argv[2]
    result = pay_invoice.delay(
        invoice,
        amount,
        {
            "name": "Acme Supplies",
            "routing_number": "021000021",
            "account_number": "123456789",
            "account_type": "checking",
        },
        time.strftime("%Y-%m-%d", time.gmtime()),  # decided once, at enqueue time
    )
    print(result.get(timeout=600))
