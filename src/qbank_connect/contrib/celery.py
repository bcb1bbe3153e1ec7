"""Paying from Celery tasks, once per business key: ``QBankTask``.

``pip install "qbank-connect[celery]"``; see docs/celery.md.

Example::

    app = Celery("payments", broker="redis://127.0.0.1:6379/0")
    app.conf.qbank = {"journal": "postgresql://app@db/treasury"}   # QBankConnect's arguments

    @app.task(base=QBankTask, bind=True, business_key="invoice:{invoice_id}")
    def pay_invoice(self, invoice_id: str, amount: str, recipient: dict, effective_date: str):
        payment = self.qbank.payments.create_ach(
            request={"source_account_id": "acc_operating", "recipient_details": recipient,
                     "amount": amount, "effective_date": effective_date},
            reference=self.reference,          # "invoice:INV-1042", in every delivery and retry
        )
        return payment.id
"""

# Celery ships no type information: what comes from it is Any here, on purpose.
# pyright: reportMissingTypeStubs=false, reportUnknownMemberType=false
# pyright: reportUnknownVariableType=false, reportUnknownArgumentType=false
# pyright: reportUntypedBaseClass=false

from __future__ import annotations

import atexit
import inspect
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from celery import Celery, Task, signals

from ..errors import (
    QBankConnectionError,
    QBankIdempotencyConflict,
    QBankInternalServerError,
    QBankRateLimitError,
    QBankStoreUnavailableError,
)

if TYPE_CHECKING:
    from .. import QBankConnect

__all__ = ["RETRYABLE", "QBankTask", "client_for", "recover_on_start"]

log = logging.getLogger("qbank_connect.contrib.celery")

RETRYABLE: tuple[type[Exception], ...] = (
    QBankConnectionError,  # no answer, timeouts included (QBankTimeoutError)
    QBankRateLimitError,  # 429
    QBankInternalServerError,  # 5xx
    QBankIdempotencyConflict,  # the first delivery still executing at QBank past the wait
    QBankStoreUnavailableError,  # the journal could not record: nothing was sent
)
"""What a :class:`QBankTask` retries (with the same arguments, hence the same reference). A
4xx answer (validation, insufficient funds, a refused reference) is final: no retry."""

_lock = threading.Lock()
_clients: dict[tuple[int, int], QBankConnect] = {}


def client_for(app: Celery) -> QBankConnect:
    """The blocking client of this worker process for ``app``, made on first use (after the
    prefork pool forked: a child never uses its parent's connections) from ``app.conf.qbank``
    (a dict of ``QBankConnect`` arguments; credentials default to the ``QBANK_*`` variables).

    Example::

        client_for(app).balances.get("acc_operating")
    """
    from .. import QBankConnect

    key = (os.getpid(), id(app))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = QBankConnect(**_options(app))
        return client


def _options(app: Celery) -> dict[str, Any]:
    options = app.conf.get("qbank") or {}
    if not isinstance(options, dict):
        raise TypeError("app.conf.qbank must be a dict of QBankConnect arguments")
    return dict(options)


def close_clients() -> None:
    """Close this process's clients (at worker process shutdown)."""
    pid = os.getpid()
    with _lock:
        mine = [k for k in _clients if k[0] == pid]
        closing = [_clients.pop(k) for k in mine]
    for client in closing:
        client.close()


class QBankTask(Task):  # type: ignore[misc]
    """A task base class for payments: ``@app.task(base=QBankTask, bind=True, ...)``.

    - ``self.qbank``: one :class:`~qbank_connect.QBankConnect` per worker process, made after
      the fork, configured by ``app.conf.qbank``.
    - ``self.reference``: the task's business key, ``business_key`` (a ``str.format`` template
      over the task's arguments, e.g. ``"invoice:{invoice_id}"``) filled in; without one, the
      task's name and id. Pass it as ``reference=``: with a journal, a redelivered or retried
      task gets the first payment back instead of paying again.
    - Acknowledged late (``acks_late``, ``reject_on_worker_lost``): a worker killed mid-task
      leaves the message with the broker, which delivers it again.
    - Retried automatically, with the same arguments and so the same reference, on
      :data:`RETRYABLE` errors (timeouts, 429, 5xx, ...) with exponential backoff; a 4xx
      answer fails the task at once.
    - ``client.recover()`` runs when a worker starts (``worker_ready``), if the app has a
      journal; ``app.conf.qbank_recover_on_start = False`` turns it off.

    Example::

        @app.task(base=QBankTask, bind=True, business_key="invoice:{invoice_id}")
        def pay_invoice(self, invoice_id, amount, recipient, effective_date):
            return self.qbank.payments.create_ach(request=..., reference=self.reference).id
    """

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = RETRYABLE
    retry_backoff = True
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    business_key: str | None = None

    @property
    def qbank(self) -> QBankConnect:
        """This worker process's client."""
        return client_for(self.app)

    @property
    def reference(self) -> str:
        """The running task's business key (see the class docstring)."""
        request = self.request
        if self.business_key is None:
            if not request.id:
                raise RuntimeError("reference is only known while the task runs")
            return f"{self.name}:{request.id}"
        arguments = inspect.signature(self.run).bind_partial(
            *(request.args or ()), **(request.kwargs or {})
        )
        arguments.apply_defaults()
        try:
            return self.business_key.format(**arguments.arguments)
        except (KeyError, IndexError) as e:
            raise ValueError(
                f"business_key {self.business_key!r} of {self.name} names {e}, which is not "
                "an argument of the task"
            ) from None


def recover_on_start(app: Celery) -> list[Any]:
    """``client.recover()`` for ``app``'s journal, logged; what ``worker_ready`` runs.

    Example::

        for result in recover_on_start(app):
            print(result.action, result.reference)
    """
    options = _options(app)
    if options.get("journal") is None:
        return []
    from .. import QBankConnect

    with QBankConnect(**options) as client:
        results = client.recover()
    for result in results:
        level = logging.INFO if result.action in ("succeeded", "failed") else logging.WARNING
        log.log(
            level,
            "qbank recover: %s %s %s key=%s",
            result.action,
            result.entry.operation,
            result.reference,
            result.idempotency_key,
        )
    log.info("qbank recover: %d pending entries settled or reported", len(results))
    return results


def _recover_when_ready(sender: Any = None, **kwargs: Any) -> None:
    app: Celery | None = getattr(sender, "app", None)
    if app is None or not app.conf.get("qbank_recover_on_start", True):
        return
    if not any(isinstance(task, QBankTask) for task in app.tasks.values()):
        return
    try:
        recover_on_start(app)
    except Exception:  # the worker runs anyway; the next start (or a periodic task) retries
        log.exception("qbank recover at worker start failed")


def _close_clients(**kwargs: Any) -> None:
    close_clients()


signals.worker_ready.connect(_recover_when_ready, weak=False)
signals.worker_process_shutdown.connect(_close_clients, weak=False)


atexit.register(close_clients)
