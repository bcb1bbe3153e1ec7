"""The process's clients, built from ``settings.QBANK`` on first use.

``get_client()`` returns the blocking :class:`~qbank_connect.QBankConnect`, ``aget_client()``
the :class:`~qbank_connect.AsyncQBankConnect` of the running event loop. Both are made again in
a forked child (gunicorn, Celery prefork: a connection is never shared across a fork) and
closed when the process exits.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

from .conf import settings

if TYPE_CHECKING:
    from ... import AsyncQBankConnect, QBankConnect

__all__ = ["aget_client", "get_client", "reset_clients"]

_lock = threading.Lock()
_sync: tuple[int, QBankConnect] | None = None
_async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, AsyncQBankConnect]] = (
    weakref.WeakKeyDictionary()
)


def _journal(blocking: bool) -> Any:
    journal = settings().journal
    if journal != "django":
        return journal
    from .journal import AsyncDjangoJournal, DjangoJournal

    using = settings().database
    return DjangoJournal(using=using) if blocking else AsyncDjangoJournal(using=using)


def get_client() -> QBankConnect:
    """The process's blocking client.

    Example::

        from qbank_connect.contrib.django import get_client

        payment = get_client().payments.create_ach(request=ach, reference=f"invoice:{inv.pk}")
    """
    global _sync
    from ... import QBankConnect

    pid = os.getpid()
    with _lock:
        if _sync is None or _sync[0] != pid:  # first use, or a forked child
            client = QBankConnect(**settings().client_options(), journal=_journal(True))
            _sync = (pid, client)
        return _sync[1]


async def aget_client() -> AsyncQBankConnect:
    """The async client of this process and event loop.

    Example::

        from qbank_connect.contrib.django import aget_client

        client = await aget_client()
        balance = await client.balances.get("acc_operating")
    """
    from ... import AsyncQBankConnect

    loop = asyncio.get_running_loop()
    pid = os.getpid()
    with _lock:
        found = _async.get(loop)
        if found is None or found[0] != pid:
            found = (pid, AsyncQBankConnect(**settings().client_options(), journal=_journal(False)))
            _async[loop] = found
        return found[1]


def reset_clients() -> None:
    """Close and forget the clients (after ``QBANK`` changed, and at exit)."""
    global _sync
    with _lock:
        sync, _sync = _sync, None
        clients = list(_async.items())
        _async.clear()
    pid = os.getpid()
    if sync is not None and sync[0] == pid:
        sync[1].close()
    for loop, (owner, client) in clients:
        if owner != pid or loop.is_closed() or loop.is_running():
            continue  # its connections belong to a loop that is gone or busy: leave them
        loop.run_until_complete(client.aclose())


atexit.register(reset_clients)
