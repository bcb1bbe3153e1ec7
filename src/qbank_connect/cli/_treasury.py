"""``qbank transfers`` and ``qbank positive-pay``: book transfers, issued checks, exceptions."""

from __future__ import annotations

from typing import Annotated

import typer

from ._connect import Target, connect
from ._options import JsonSource, Keying, PageSize, command, group
from ._output import Format, emit_many
from ._transact import send_json

__all__ = ["positive_pay", "transfers"]

transfers = group("transfers", "Moves between the client's own accounts.")
positive_pay = group("positive-pay", "Positive Pay: issued checks and exceptions.")


@command(transfers, "create", operation="createTransfer")
def transfers_create(json_source: JsonSource, *, target: Target, fmt: Format, key: Keying) -> None:
    """Move funds between two of the client's accounts (real time)."""
    send_json(json_source, target, fmt, key, lambda c: c.with_raw_response.transfers.create)


@command(positive_pay, "create-issue", operation="createCheckIssue")
def positive_pay_create_issue(
    json_source: JsonSource, *, target: Target, fmt: Format, key: Keying
) -> None:
    """Register an issued (or voided) check."""
    send_json(
        json_source, target, fmt, key, lambda c: c.with_raw_response.positive_pay.create_issue
    )


@command(positive_pay, "list-exceptions", operation="listCheckExceptions")
def positive_pay_list_exceptions(
    account: Annotated[
        str | None, typer.Option("--account", metavar="ID", help="Account id.", show_default=False)
    ] = None,
    page_size: PageSize = 100,
    *,
    target: Target,
    fmt: Format,
) -> None:
    """List presented checks awaiting a pay/return decision (all pages)."""
    with connect(target) as client:
        from ..models import CheckException

        exceptions = client.positive_pay.list_exceptions(account_id=account, limit=page_size)
        emit_many(exceptions, fmt, CheckException)
