"""``qbank journal``: the payment journal, for operators (``pending``, ``resolve``, ``prune``).

The journal is named by ``--journal URL`` (or ``QBANK_JOURNAL``); the client id, base URL and
credentials say whose entries these are (a journal is scoped to one bank and one client id)
and open their sealed bodies (the secret, or ``QBANK_JOURNAL_KEY``). Nothing is sent to QBank.
Request bodies are never printed: they hold account numbers.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._connect import Target, _client_arguments
from ._errors import BadInput
from ._options import command, group
from ._output import Format, emit, emit_many, note

if TYPE_CHECKING:
    from .._stores.journal import JournalEntry
    from .._sync.stores.journal_calls import ClientJournal

__all__ = ["journal"]

journal = group(
    "journal",
    "The payment journal: list what is open, close what needs a human, prune what is settled.",
)

JournalURL = Annotated[
    str,
    typer.Option(
        "--journal",
        metavar="URL",
        envvar="QBANK_JOURNAL",
        help="The journal: sqlite:////path/journal.db or postgresql://... (QBANK_JOURNAL).",
        show_default=False,
    ),
]


@contextmanager
def _opened(target: Target, url: str) -> Generator[ClientJournal, None, None]:
    from .._sync.client import QBankConnect

    if target.sandbox:
        raise BadInput("qbank journal works on your journal: --sandbox does not apply")
    client_id, secret, options = _client_arguments(target, None)
    with QBankConnect(client_id, secret, journal=url, **options) as client:
        view = client.journal
        assert view is not None
        try:
            yield view
        finally:
            view.close()


def _row(entry: JournalEntry) -> dict[str, Any]:
    # Never the body: it holds account numbers.
    return {
        "state": entry.state.value,
        "operation": entry.operation,
        "reference": entry.reference,
        "idempotency_key": entry.idempotency_key,
        "created_at": entry.created_at.isoformat(),
        "age_hours": round(entry.age().total_seconds() / 3600, 2),
        "body_digest": entry.body_digest,
        "transaction_id": entry.transaction_id,
        "payment_id": entry.payment_id,
        "resolved_by": entry.resolved_by,
        "resolved_at": None if entry.resolved_at is None else entry.resolved_at.isoformat(),
        "generation": entry.generation,
    }


@command(journal, "pending")
def journal_pending(url: JournalURL, *, target: Target, fmt: Format) -> None:
    """List the entries without a final answer (pending, and reconcile: look those up)."""
    with _opened(target, url) as view:
        count = emit_many((_row(e) for e in view.pending()), fmt)
    note(f"{count} open entr{'y' if count == 1 else 'ies'}")


@command(journal, "resolve")
def journal_resolve(
    operation: Annotated[str, typer.Argument(metavar="OPERATION", help="e.g. createAchPayment")],
    reference: Annotated[str, typer.Argument(metavar="REFERENCE", help="e.g. invoice:INV-1042")],
    url: JournalURL,
    payment_id: Annotated[
        str | None,
        typer.Option(
            "--payment-id",
            metavar="ID",
            help="The payment was made: later calls return it.",
            show_default=False,
        ),
    ] = None,
    not_sent: Annotated[
        bool,
        typer.Option(
            "--not-sent",
            help="It never reached QBank: the next call pays it afresh under a new key.",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", metavar="NAME", help="Who resolves (default: user@host).", show_default=False
        ),
    ] = None,
    *,
    target: Target,
    fmt: Format,
) -> None:
    """Close a reconcile entry after looking it up at QBank (--payment-id ID or --not-sent)."""
    if (payment_id is None) == (not not_sent):
        raise BadInput("give --payment-id ID or --not-sent (one of them)")
    with _opened(target, url) as view:
        entry = view.resolve(
            operation, reference, payment_id=payment_id, not_sent=not_sent, resolved_by=by
        )
        emit(_row(entry), fmt)


@command(journal, "prune")
def journal_prune(
    url: JournalURL,
    older_than_days: Annotated[
        float,
        typer.Option(
            "--older-than-days",
            metavar="DAYS",
            help="Delete entries settled (or resolved) more than DAYS ago; never an open one.",
            min=0,
        ),
    ],
    *,
    target: Target,
    fmt: Format,
) -> None:
    """Delete settled entries older than --older-than-days (a reference pruned is paid anew)."""
    before = datetime.now(timezone.utc) - timedelta(days=older_than_days)
    with _opened(target, url) as view:
        deleted = view.prune(settled_before=before)
        emit({"deleted": deleted, "settled_before": before.isoformat()}, fmt)
