"""The payment journal in the project's database: ``QBANK["JOURNAL"] = "django"``.

The SDK's own journal (:class:`qbank_connect.journal.SQLJournal`: the same statements, hence
the same properties as the SQLite and PostgreSQL journals: entries scoped to the bank and
client id, a lease fencing every attempt, ages and leases on the **database's** clock, bodies
and answers sealed) run on Django's connection of the ``QBANK["DATABASE"]`` alias, in the
calling thread, on the ``qbank_journal`` table this app's migration creates.

So a call made inside ``transaction.atomic()`` records its entry and its outcome in *your*
transaction, with your business rows: they commit together or not at all (a rollback forgets
the call; paying again sends the same key, which QBank replays within its 24 hours). Outside
one (Django's autocommit) every statement commits at once, before the payment is sent.

Example::

    with transaction.atomic():
        payment = get_client().payments.create_ach(request=ach, reference=f"invoice:{inv.pk}")
        Invoice.objects.filter(pk=inv.pk).update(payment_id=payment.id)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections

from ...journal import DJANGO_SQLITE, POSTGRESQL, AsyncSQLJournal, Dialect, SQLJournal

__all__ = ["AsyncDjangoJournal", "DjangoJournal"]


def _dialect(using: str) -> Dialect:
    vendor = connections[using].vendor
    if vendor == "sqlite":
        return DJANGO_SQLITE
    if vendor == "postgresql":
        return POSTGRESQL
    raise ValueError(
        f'QBANK["JOURNAL"] = "django" needs SQLite or PostgreSQL; database {using!r} is {vendor}'
    )


def _execute(using: str, statement: str, params: Sequence[Any]) -> int:
    connection: Any = connections[using]
    opened = connection.connection is None
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, tuple(params))
            return int(cursor.rowcount)
    finally:
        _close_if_pooled(connection, opened)


def _query(using: str, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
    connection: Any = connections[using]
    opened = connection.connection is None
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, tuple(params))
            return list(cursor.fetchall())
    finally:
        _close_if_pooled(connection, opened)


def _close_if_pooled(connection: Any, opened: bool) -> None:
    # ``recover()`` settles entries in worker threads of its own; Django gives each thread its
    # own connection and nobody would close those: close what we opened there (never a
    # connection of your threads, nor one inside a transaction).
    pooled = threading.current_thread().name.startswith("ThreadPoolExecutor")
    if opened and pooled and not connection.in_atomic_block:
        connection.close()


class DjangoJournal(SQLJournal):
    """The journal on a Django database connection (blocking); ``get_client()`` uses it.

    Example::

        client = QBankConnect(journal=DjangoJournal(using="default"))
    """

    def __init__(self, *, using: str = "default") -> None:
        super().__init__(_dialect(using))
        self.using = using

    def __repr__(self) -> str:
        return f"<{type(self).__name__} using={self.using!r}>"

    def _execute(self, statement: str, params: Sequence[Any]) -> int:
        return _execute(self.using, statement, params)

    def _query(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return _query(self.using, statement, params)


class AsyncDjangoJournal(AsyncSQLJournal):
    """The same journal for ``aget_client()``: each statement runs in Django's thread for the
    ORM (``sync_to_async``), so the event loop never waits on the database.

    Example::

        client = AsyncQBankConnect(journal=AsyncDjangoJournal(using="default"))
    """

    def __init__(self, *, using: str = "default") -> None:
        super().__init__(_dialect(using))
        self.using = using

    def __repr__(self) -> str:
        return f"<{type(self).__name__} using={self.using!r}>"

    async def _execute(self, statement: str, params: Sequence[Any]) -> int:
        return await sync_to_async(_execute)(self.using, statement, params)

    async def _query(self, statement: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        return await sync_to_async(_query)(self.using, statement, params)
