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

Entries are scoped to the client's bank (base URL) and client id; the request body and
QBank's answer are sealed (AES-256-GCM, ``journal_key=`` or the client secret); the operation,
reference, key, body digest, states and times are in clear. ``client.journal`` (a
:class:`AsyncClientJournal` / :class:`ClientJournal`) lists, resolves and prunes entries.
"""

from __future__ import annotations

from ._async.stores.journal import (
    AsyncJournal,
    AsyncPostgresJournal,
    AsyncSQLiteJournal,
    AsyncSQLJournal,
)
from ._async.stores.journal_calls import AsyncClientJournal
from ._stores.journal import (
    KEY_RETENTION,
    LEASE,
    RESEND_WINDOW,
    SAFETY_MARGIN,
    EntryState,
    JournalEntry,
    JournalOutcome,
    JournalScope,
    RecoveryResult,
)
from ._stores.journal_sql import DJANGO_SQLITE, POSTGRESQL, SQLITE, Dialect, JournalSQL
from ._sync.stores.journal import Journal, PostgresJournal, SQLiteJournal, SQLJournal
from ._sync.stores.journal_calls import ClientJournal

__all__ = [
    "DJANGO_SQLITE",
    "KEY_RETENTION",
    "LEASE",
    "POSTGRESQL",
    "RESEND_WINDOW",
    "SAFETY_MARGIN",
    "SQLITE",
    "AsyncClientJournal",
    "AsyncJournal",
    "AsyncPostgresJournal",
    "AsyncSQLJournal",
    "AsyncSQLiteJournal",
    "ClientJournal",
    "Dialect",
    "EntryState",
    "Journal",
    "JournalEntry",
    "JournalOutcome",
    "JournalSQL",
    "JournalScope",
    "PostgresJournal",
    "RecoveryResult",
    "SQLJournal",
    "SQLiteJournal",
]
