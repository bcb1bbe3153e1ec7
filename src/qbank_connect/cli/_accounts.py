"""``qbank auth`` and the account reads: ``accounts``, ``balances``, ``transactions``."""

from __future__ import annotations

from typing import Annotated

import typer

from ._connect import Target, connect
from ._options import PageSize, command, group
from ._output import Format, emit, emit_many

__all__ = ["accounts", "auth", "balances", "transactions"]

auth = group("auth", "Check the credentials (POST /token).")
accounts = group("accounts", "The client's bank accounts.")
balances = group("balances", "Real-time cash positions.")
transactions = group("transactions", "Posted transactions.")


@command(auth, "check", operation="createToken")
def auth_check(*, target: Target, fmt: Format) -> None:
    """Fetch a token with the credentials and show what they grant (never the token itself)."""
    with connect(target) as client:
        scopes = client.authenticate()  # the granted scopes, never the token itself
        emit(
            {
                "client_id": client.client_id,
                "base_url": client.base_url,
                "authenticated": True,
                "scopes": scopes,
            },
            fmt,
        )


@command(accounts, "list", operation="listAccounts")
def accounts_list(page_size: PageSize = 100, *, target: Target, fmt: Format) -> None:
    """List every account (all pages)."""
    with connect(target) as client:
        from ..models import Account

        emit_many(client.accounts.list(limit=page_size), fmt, Account)


@command(accounts, "get", operation="getAccount")
def accounts_get(
    account_id: Annotated[str, typer.Argument(metavar="ID")], *, target: Target, fmt: Format
) -> None:
    """Show one account."""
    with connect(target) as client:
        emit(client.accounts.get(account_id), fmt)


@command(balances, "get", operation="getBalance")
def balances_get(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID")], *, target: Target, fmt: Format
) -> None:
    """Show an account's current available and ledger balance."""
    with connect(target) as client:
        emit(client.balances.get(account_id), fmt)


@command(transactions, "list", operation="listTransactions")
def transactions_list(
    account: Annotated[
        str, typer.Option("--account", metavar="ID", help="Account id.", show_default=False)
    ],
    from_date: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="DATE", help="First posting date, YYYY-MM-DD.", show_default=False
        ),
    ] = None,
    to_date: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="DATE", help="Last posting date, YYYY-MM-DD.", show_default=False
        ),
    ] = None,
    page_size: PageSize = 100,
    *,
    target: Target,
    fmt: Format,
) -> None:
    """List an account's transactions, newest first (all pages)."""
    with connect(target) as client:
        page = client.transactions.list(
            account_id=account, from_date=from_date, to_date=to_date, limit=page_size
        )
        from ..models import Transaction

        emit_many(page, fmt, Transaction)
