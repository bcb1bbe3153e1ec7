"""``qbank payments``: ACH payments, wires and NACHA uploads; their status, and waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._connect import Target, connect
from ._options import JsonSource, Keying, PageSize, command, group
from ._output import Format, emit, emit_many
from ._transact import emit_transacted, send_json

__all__ = ["payments"]

payments = group("payments", "ACH payments, wires, NACHA uploads; status and waiting.")


@command(payments, "list", operation="listPayments")
def payments_list(
    status: Annotated[
        str | None,
        typer.Option(
            "--status", metavar="STATUS", help="e.g. P_PENDING, P_FAILED.", show_default=False
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", metavar="ID", help="Source account id.", show_default=False),
    ] = None,
    page_size: PageSize = 100,
    *,
    target: Target,
    fmt: Format,
) -> None:
    """List payments, newest first (all pages), by status and source account."""
    with connect(target) as client:
        from ..models import Payment

        payments = client.payments.list(status=status, account_id=account, limit=page_size)
        emit_many(payments, fmt, Payment)


@command(payments, "get", operation="getPayment")
def payments_get(
    payment_id: Annotated[str, typer.Argument(metavar="ID")], *, target: Target, fmt: Format
) -> None:
    """Show a payment's status and history."""
    with connect(target) as client:
        emit(client.payments.get(payment_id), fmt)


@command(payments, "wait")
def payments_wait(
    payment_id: Annotated[str, typer.Argument(metavar="ID")],
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", metavar="SECONDS", help="Give up after this many seconds.", min=0
        ),
    ] = 300.0,
    poll_interval: Annotated[
        float,
        typer.Option("--poll-interval", metavar="SECONDS", help="First poll interval, s.", min=0),
    ] = 2.0,
    *,
    target: Target,
    fmt: Format,
) -> None:
    """Poll a payment until it is P_COMPLETED or P_FAILED, then show it."""
    from ..errors import QBankPaymentWaitTimeout

    with connect(target) as client:
        try:
            payment = client.payments.wait(payment_id, timeout=timeout, poll_interval=poll_interval)
        except QBankPaymentWaitTimeout as exc:
            if exc.payment is not None:
                emit(exc.payment, fmt)
            raise
        emit(payment, fmt)


@command(payments, "create-ach", operation="createAchPayment")
def payments_create_ach(
    json_source: Annotated[
        str | None,
        typer.Option(
            "--json",
            help="One payment: a JSON file, or - for stdin.",
            metavar="FILE|-",
            show_default=False,
        ),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="Many payments, one per row; each row's key comes from its reference "
            "column, so re-running the file never pays a row twice.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            "--account",
            metavar="ID",
            help="--csv: source account for rows without source_account_id.",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", metavar="N", help="--csv: payments in flight.", min=1, max=64
        ),
    ] = 8,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results",
            metavar="FILE",
            help="--csv: where to write the results CSV (default: INPUT.results.csv "
            "next to the input).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    *,
    target: Target,
    fmt: Format,
    key: Keying,
) -> None:
    """Send an ACH payment (--json), or one per CSV row (--csv)."""
    from ._errors import BadInput

    if (json_source is None) == (csv_file is None):
        raise BadInput("give exactly one of --json FILE|- and --csv FILE")
    if csv_file is not None:
        if key.idempotency_key is not None or key.reference is not None:
            raise BadInput(
                "--idempotency-key and --reference are per row with --csv (the reference column)"
            )
        from ._bulk import run_bulk

        run_bulk(
            csv_file,
            target=target,
            fmt=fmt,
            account=account,
            concurrency=concurrency,
            results=results,
        )
        return
    assert json_source is not None
    send_json(json_source, target, fmt, key, lambda c: c.with_raw_response.payments.create_ach)


@command(payments, "create-wire", operation="createWirePayment")
def payments_create_wire(
    json_source: JsonSource, *, target: Target, fmt: Format, key: Keying
) -> None:
    """Send a wire (real time)."""
    send_json(json_source, target, fmt, key, lambda c: c.with_raw_response.payments.create_wire)


@command(payments, "upload-ach", operation="uploadAchFile")
def payments_upload_ach(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The NACHA file.", dir_okay=False)],
    account: Annotated[
        str | None,
        typer.Option("--account", metavar="ID", help="Source account id.", show_default=False),
    ] = None,
    *,
    target: Target,
    fmt: Format,
    key: Keying,
) -> None:
    """Upload a NACHA file; each entry becomes a P_PENDING payment."""
    with connect(target) as client:
        emit_transacted(
            client.with_raw_response.payments.upload_ach_file(
                file,
                source_account_id=account,
                idempotency_key=key.idempotency_key,
                reference=key.reference,
                conflict_wait=key.conflict_wait,
            ),
            fmt,
        )
