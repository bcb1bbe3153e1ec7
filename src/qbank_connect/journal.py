"""The payment journal: exactly one payment per ``reference``, across crashes and processes.

Give a client a journal and a ``reference`` to each transactional call; the journal records the
call before its first attempt and its answer after it. A later call with the same reference
returns the recorded answer without sending, or sends again with the same idempotency key if
there is none yet; ``client.recover()`` settles what a crash left pending. See
``docs/exactly-once.md``.

Example::

    from qbank_connect import QBankConnect

    client = QBankConnect(journal="sqlite:////var/lib/qbank/journal.db")
    payment = client.payments.create_ach(request=ach, reference="invoice:INV-1042")
    for result in client.recover():          # e.g. at start-up, after a crash
        print(result.action, result.reference)

What is stored: the reference, operation, idempotency key, the request body as sent (account
and routing numbers included; for NACHA uploads only the file's name, SHA-256, size and form
fields), the time, and QBank's answer (the result JSON, or the error). Protect the journal like
the payments themselves: SQLite files are created ``0600``.
"""

from __future__ import annotations

from ._async.stores.journal import AsyncJournal, AsyncPostgresJournal, AsyncSQLiteJournal
from ._stores.journal import EntryState, JournalEntry, JournalOutcome, RecoveryResult
from ._sync.stores.journal import Journal, PostgresJournal, SQLiteJournal

__all__ = [
    "AsyncJournal",
    "AsyncPostgresJournal",
    "AsyncSQLiteJournal",
    "EntryState",
    "Journal",
    "JournalEntry",
    "JournalOutcome",
    "PostgresJournal",
    "RecoveryResult",
    "SQLiteJournal",
]
