"""The journal's SQL, for any DB-API style connection: SQLite, PostgreSQL, or a third kind (a
Django ``connection.cursor()``, say). No I/O here: the backends execute these statements.

One table, ``qbank_journal``, primary key ``(bank, client_id, operation, reference)``. Times
are seconds since the epoch on the **database's** clock (``clock_timestamp()`` on PostgreSQL;
SQLite's ``julianday('now')``, the host's clock): every writer of one journal measures ages
and leases on one clock. Each statement is atomic on its own; none needs a transaction.

Example (any connection whose cursor takes ``%s`` placeholders)::

    sql = JournalSQL(POSTGRESQL)
    cursor.execute(sql.schema)
    cursor.execute(sql.insert, sql.insert_params(scope, entry))
    cursor.execute(sql.select, sql.key_params(scope, entry.operation, entry.reference))
    entry = sql.entry(scope, cursor.fetchone())
"""

# ruff: noqa: S608 - the statements are built from constants of this module, never from input

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import QBankStoreError, QBankStoreUnavailableError
from .journal import EntryState, JournalEntry, JournalOutcome, JournalScope

__all__ = ["DJANGO_SQLITE", "POSTGRESQL", "SQLITE", "Dialect", "JournalSQL"]


@dataclass(frozen=True)
class Dialect:
    """How one database spells the two things that differ: the placeholder, and "now"."""

    name: str
    placeholder: str
    now: str


SQLITE = Dialect("sqlite", "?", "qbank_now()")
"""The SDK's own SQLite journal: ``qbank_now()`` is the host's clock corrected by the skew
seen against QBank's ``Date`` headers (a function the journal registers on its connection)."""
POSTGRESQL = Dialect("postgresql", "%s", "(extract(epoch from clock_timestamp())::float8)")
# A Django cursor takes %s on every vendor; pair it with the vendor's "now".
DJANGO_SQLITE = Dialect("sqlite", "%s", "((julianday('now') - 2440587.5) * 86400.0)")

_COLUMNS = (
    "reference, operation, idempotency_key, body_digest, body, created_at, state, outcome, "
    "bank, client_id, generation, lease_owner, lease_expires, transaction_id, payment_id, "
    "resolved_by, resolved_at"
)
_KEY = "bank = %s AND client_id = %s AND operation = %s AND reference = %s"
_FREE = "(lease_owner IS NULL OR lease_owner = %s OR lease_expires <= {now})"
_CLOSED_STATES = ("succeeded", "failed", "resolved")


class JournalSQL:
    """The statements and their parameters for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

        def q(statement: str) -> str:
            return statement.replace("{now}", dialect.now).replace("%s", dialect.placeholder)

        self.schema_table = (
            "CREATE TABLE IF NOT EXISTS qbank_journal ("
            "bank TEXT NOT NULL, client_id TEXT NOT NULL, operation TEXT NOT NULL, "
            "reference TEXT NOT NULL, generation INTEGER NOT NULL, "
            "idempotency_key TEXT NOT NULL, body_digest TEXT NOT NULL, body TEXT NOT NULL, "
            "created_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, outcome TEXT, "
            "lease_owner TEXT, lease_expires DOUBLE PRECISION, transaction_id TEXT, "
            "payment_id TEXT, resolved_by TEXT, resolved_at DOUBLE PRECISION, "
            "settled_at DOUBLE PRECISION, "
            "PRIMARY KEY (bank, client_id, operation, reference))"
        )
        self.schema_index = (
            "CREATE INDEX IF NOT EXISTS qbank_journal_open "
            "ON qbank_journal (bank, client_id, state, created_at)"
        )
        self.schema = self.schema_table + ";\n" + self.schema_index + ";\n"
        # An old table (before scoped entries) has no bank column: this fails on it.
        self.check = (
            "SELECT bank, client_id, generation, lease_owner FROM qbank_journal WHERE 1 = 0"
        )
        self.insert = q(
            "INSERT INTO qbank_journal (bank, client_id, operation, reference, generation, "
            "idempotency_key, body_digest, body, created_at, state) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {now}, 'pending') "
            "ON CONFLICT (bank, client_id, operation, reference) DO NOTHING"
        )
        self.select = q(f"SELECT {_COLUMNS}, {{now}} FROM qbank_journal WHERE {_KEY}")
        self.renew = q(
            "UPDATE qbank_journal SET generation = %s, idempotency_key = %s, body_digest = %s, "
            "body = %s, created_at = {now}, state = 'pending', outcome = NULL, "
            "lease_owner = NULL, lease_expires = NULL, transaction_id = NULL, "
            f"payment_id = NULL, settled_at = NULL WHERE {_KEY} "
            "AND state = 'not_sent' AND generation = %s"
        )
        self.acquire = q(
            "UPDATE qbank_journal SET lease_owner = %s, lease_expires = {now} + %s "
            f"WHERE {_KEY} AND state = 'pending' AND generation = %s "
            f"AND created_at > {{now}} - %s AND {_FREE}"
        )
        self.expire = q(
            "UPDATE qbank_journal SET state = 'reconcile', lease_owner = NULL, "
            f"lease_expires = NULL WHERE {_KEY} AND state = 'pending' AND generation = %s "
            f"AND created_at <= {{now}} - %s AND {_FREE}"
        )
        self.release = q(
            "UPDATE qbank_journal SET lease_owner = NULL, lease_expires = NULL "
            f"WHERE {_KEY} AND lease_owner = %s"
        )
        self.settle = q(
            "UPDATE qbank_journal SET state = %s, outcome = %s, settled_at = {now}, "
            f"lease_owner = NULL, lease_expires = NULL WHERE {_KEY} AND generation = %s "
            "AND state IN ('pending', 'reconcile')"
        )
        self.note_transaction = q(
            f"UPDATE qbank_journal SET transaction_id = %s WHERE {_KEY} AND generation = %s"
        )
        self.open_entries = q(
            f"SELECT {_COLUMNS}, {{now}} FROM qbank_journal WHERE bank = %s AND client_id = %s "
            "AND state IN ('pending', 'reconcile') ORDER BY created_at"
        )
        self.resolve_paid = q(
            "UPDATE qbank_journal SET state = 'resolved', payment_id = %s, resolved_by = %s, "
            "resolved_at = {now}, settled_at = {now}, lease_owner = NULL, lease_expires = NULL "
            f"WHERE {_KEY} AND state = 'reconcile'"
        )
        self.resolve_not_sent = q(
            "UPDATE qbank_journal SET state = 'not_sent', resolved_by = %s, resolved_at = {now}, "
            f"lease_owner = NULL, lease_expires = NULL WHERE {_KEY} AND state = 'reconcile'"
        )
        self.prune = q(
            "DELETE FROM qbank_journal WHERE bank = %s AND client_id = %s "
            "AND state IN ('succeeded', 'failed', 'resolved') AND settled_at < %s"
        )
        self.now = q("SELECT {now}")

    # -- parameters ------------------------------------------------------------------------
    @staticmethod
    def key_params(scope: JournalScope, operation: str, reference: str) -> tuple[str, ...]:
        return (scope.bank, scope.client_id, operation, reference)

    def insert_params(self, scope: JournalScope, entry: JournalEntry) -> tuple[Any, ...]:
        return (
            *self.key_params(scope, entry.operation, entry.reference),
            entry.generation,
            entry.idempotency_key,
            entry.body_digest,
            seal_text(scope, entry, "body", entry.body),
        )

    def renew_params(
        self, scope: JournalScope, stale: JournalEntry, fresh: JournalEntry
    ) -> tuple[Any, ...]:
        return (
            fresh.generation,
            fresh.idempotency_key,
            fresh.body_digest,
            seal_text(scope, fresh, "body", fresh.body),
            *self.key_params(scope, stale.operation, stale.reference),
            stale.generation,
        )

    def acquire_params(
        self,
        scope: JournalScope,
        entry: JournalEntry,
        owner: str,
        lease: timedelta,
        window: timedelta,
    ) -> tuple[Any, ...]:
        return (
            owner,
            lease.total_seconds(),
            *self.key_params(scope, entry.operation, entry.reference),
            entry.generation,
            window.total_seconds(),
            owner,
        )

    def expire_params(
        self, scope: JournalScope, entry: JournalEntry, owner: str, window: timedelta
    ) -> tuple[Any, ...]:
        return (
            *self.key_params(scope, entry.operation, entry.reference),
            entry.generation,
            window.total_seconds(),
            owner,
        )

    def release_params(
        self, scope: JournalScope, entry: JournalEntry, owner: str
    ) -> tuple[Any, ...]:
        return (*self.key_params(scope, entry.operation, entry.reference), owner)

    def settle_params(
        self, scope: JournalScope, entry: JournalEntry, outcome: JournalOutcome
    ) -> tuple[Any, ...]:
        state = EntryState.SUCCEEDED if outcome.succeeded else EntryState.FAILED
        return (
            state.value,
            seal_text(scope, entry, "outcome", outcome.to_json()),
            *self.key_params(scope, entry.operation, entry.reference),
            entry.generation,
        )

    # -- rows ------------------------------------------------------------------------------
    @staticmethod
    def entry_time(seconds: float | int | str) -> datetime:
        """A time as read from the journal."""
        return _time(seconds)

    @staticmethod
    def entry(scope: JournalScope, row: Sequence[Any]) -> JournalEntry:
        """The entry of a row read with ``select`` or ``open_entries``, opened."""
        (
            reference,
            operation,
            key,
            digest,
            body,
            created_at,
            state,
            outcome,
            bank,
            client_id,
            generation,
            lease_owner,
            lease_expires,
            transaction_id,
            payment_id,
            resolved_by,
            resolved_at,
            now,
        ) = row
        skeleton = JournalEntry(
            reference=reference,
            operation=operation,
            idempotency_key=key,
            body_digest=digest,
            body="",
            created_at=_time(created_at),
            bank=bank,
            client_id=client_id,
            generation=int(generation),
        )
        opened_outcome = None
        if outcome is not None:
            opened_outcome = JournalOutcome.from_json(
                open_text(scope, skeleton, "outcome", outcome)
            )
        return JournalEntry(
            reference=reference,
            operation=operation,
            idempotency_key=key,
            body_digest=digest,
            body=open_text(scope, skeleton, "body", body),
            created_at=skeleton.created_at,
            state=EntryState(state),
            outcome=opened_outcome,
            bank=bank,
            client_id=client_id,
            generation=int(generation),
            lease_owner=lease_owner,
            lease_expires=None if lease_expires is None else _time(lease_expires),
            transaction_id=transaction_id,
            payment_id=payment_id,
            resolved_by=resolved_by,
            resolved_at=None if resolved_at is None else _time(resolved_at),
            now=_time(now),
        )


def _time(seconds: float | int | str) -> datetime:
    return datetime.fromtimestamp(float(seconds), timezone.utc)


def epoch(moment: datetime) -> float:
    """``moment`` as the journal stores times: seconds since the epoch."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


_SEALED = "sealed:v1:"


def _aad(scope: JournalScope, entry: JournalEntry, column: str) -> bytes:
    where = [
        scope.bank,
        scope.client_id,
        entry.operation,
        entry.reference,
        entry.generation,
        column,
    ]
    return json.dumps(where, separators=(",", ":")).encode()


def seal_text(scope: JournalScope, entry: JournalEntry, column: str, text: str) -> str:
    """``text`` as stored: sealed (AES-256-GCM) when the scope has a sealer."""
    if scope.sealer is None:
        return text
    blob = scope.sealer.seal(text.encode("utf-8"), _aad(scope, entry, column))
    return _SEALED + base64.b64encode(blob).decode("ascii")


def open_text(scope: JournalScope, entry: JournalEntry, column: str, stored: str) -> str:
    """The text of a stored value; raises if it is sealed and does not open."""
    if not stored.startswith(_SEALED):
        return stored
    if scope.sealer is None:
        raise QBankStoreError(
            f"journal: {entry.operation} reference {entry.reference!r} is sealed, and this "
            "journal has no key to open it"
        )
    plain = scope.sealer.open(base64.b64decode(stored[len(_SEALED) :]), _aad(scope, entry, column))
    if plain is None:
        raise QBankStoreUnavailableError(
            f"journal: the {column} of {entry.operation} reference {entry.reference!r} does not "
            "open with this client's journal key (sealed under another journal_key or client "
            "secret, or altered); pass the key it was sealed with in journal_key=[new, old]"
        )
    return bytes(plain).decode("utf-8")


def old_table_error(exc: Exception) -> QBankStoreUnavailableError:
    """The table predates scoped entries: refuse, naming the fix."""
    return QBankStoreUnavailableError(
        "journal: the table qbank_journal was made by an older qbank-connect (entries keyed by "
        "operation and reference only, without bank and client_id); nothing was sent. Settle "
        "its pending entries with the version that wrote them (client.recover()), then rename "
        "it: ALTER TABLE qbank_journal RENAME TO qbank_journal_unscoped (a new table is made "
        f"on next use); see docs/exactly-once.md ({type(exc).__name__})"
    )
