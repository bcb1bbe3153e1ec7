"""The ``qbank`` commands. Each imports the SDK only when it runs, so ``--help`` stays fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._connect import Target, connect
from ._exit import epilog
from ._options import Keying, command
from ._output import Format, emit, emit_many, note

__all__ = ["app", "run"]


def _group(name: str, help: str) -> typer.Typer:
    return typer.Typer(name=name, help=help, no_args_is_help=True, rich_markup_mode=None)


app = typer.Typer(
    name="qbank",
    help="The QBank Connect API from a shell: balances, transactions, ACH, wires, transfers, "
    "Positive Pay, webhooks and NACHA files. Add --sandbox to any API command to try it "
    "against an embedded sandbox.",
    epilog=epilog(),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
auth = _group("auth", "Check the credentials (POST /token).")
accounts = _group("accounts", "The client's bank accounts.")
balances = _group("balances", "Real-time cash positions.")
transactions = _group("transactions", "Posted transactions.")
payments = _group("payments", "ACH payments, wires, NACHA uploads; status and waiting.")
transfers = _group("transfers", "Moves between the client's own accounts.")
positive_pay = _group("positive-pay", "Positive Pay: issued checks and exceptions.")
nacha = _group("nacha", "Build and check NACHA files before they reach the bank.")
webhooks = _group("webhooks", "Send a signed test delivery, or verify a captured one.")
for _sub in (
    auth,
    accounts,
    balances,
    transactions,
    payments,
    transfers,
    positive_pay,
    webhooks,
    nacha,
):
    app.add_typer(_sub)

PageSize = Annotated[
    int,
    typer.Option(
        "--page-size",
        metavar="N",
        help="Items per request; every page is fetched anyway.",
        min=1,
        max=100,
    ),
]
JsonSource = Annotated[
    str,
    typer.Option("--json", help="The request body: a JSON file, or - for stdin.", metavar="FILE|-"),
]


def _transact(raw: Any, fmt: Format) -> None:
    """Print a transactional call's result; its key and replay status go to stderr."""
    replayed = " (replayed: this request was already executed)" if raw.replayed else ""
    note(f"idempotency key: {raw.idempotency_key}{replayed}")
    emit(raw.parse(), fmt)


# --- auth -------------------------------------------------------------------------------------
@command(auth, "check", operation="createToken")
def auth_check(*, target: Target, fmt: Format) -> None:
    """Fetch a token with the credentials and show what they grant (never the token itself)."""
    with connect(target) as client:
        client.authenticate()
        # The granted scopes are on the cached token (the token itself is never shown).
        token: object = getattr(client._requester.tokens, "_token", None)
        scope = getattr(token, "scope", None)
        emit(
            {
                "client_id": client.client_id,
                "base_url": client.base_url,
                "authenticated": True,
                "scopes": scope.split() if isinstance(scope, str) else None,
            },
            fmt,
        )


# --- accounts, balances, transactions ---------------------------------------------------------
@command(accounts, "list", operation="listAccounts")
def accounts_list(page_size: PageSize = 100, *, target: Target, fmt: Format) -> None:
    """List every account (all pages)."""
    with connect(target) as client:
        emit_many(client.accounts.list(limit=page_size), fmt)


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
        emit_many(page, fmt)


# --- payments ---------------------------------------------------------------------------------
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
        emit_many(client.payments.list(status=status, account_id=account, limit=page_size), fmt)


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


@command(payments, "create-ach", operation="createAchPayment", transactional=True)
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
    from ._inputs import read_json_object

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
    body = read_json_object(json_source)
    with connect(target) as client:
        _transact(
            client.with_raw_response.payments.create_ach(
                request=body, idempotency_key=key.idempotency_key, reference=key.reference
            ),
            fmt,
        )


@command(payments, "create-wire", operation="createWirePayment", transactional=True)
def payments_create_wire(
    json_source: JsonSource, *, target: Target, fmt: Format, key: Keying
) -> None:
    """Send a wire (real time)."""
    from ._inputs import read_json_object

    body = read_json_object(json_source)
    with connect(target) as client:
        _transact(
            client.with_raw_response.payments.create_wire(
                request=body, idempotency_key=key.idempotency_key, reference=key.reference
            ),
            fmt,
        )


@command(payments, "upload-ach", operation="uploadAchFile", transactional=True)
def payments_upload_ach(
    file: Annotated[Path, typer.Argument(help="The NACHA file.", dir_okay=False)],
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
        _transact(
            client.with_raw_response.payments.upload_ach_file(
                file,
                source_account_id=account,
                idempotency_key=key.idempotency_key,
                reference=key.reference,
            ),
            fmt,
        )


# --- transfers, positive pay ------------------------------------------------------------------
@command(transfers, "create", operation="createTransfer", transactional=True)
def transfers_create(json_source: JsonSource, *, target: Target, fmt: Format, key: Keying) -> None:
    """Move funds between two of the client's accounts (real time)."""
    from ._inputs import read_json_object

    body = read_json_object(json_source)
    with connect(target) as client:
        _transact(
            client.with_raw_response.transfers.create(
                request=body, idempotency_key=key.idempotency_key, reference=key.reference
            ),
            fmt,
        )


@command(positive_pay, "create-issue", operation="createCheckIssue", transactional=True)
def positive_pay_create_issue(
    json_source: JsonSource, *, target: Target, fmt: Format, key: Keying
) -> None:
    """Register an issued (or voided) check."""
    from ._inputs import read_json_object

    body = read_json_object(json_source)
    with connect(target) as client:
        _transact(
            client.with_raw_response.positive_pay.create_issue(
                request=body, idempotency_key=key.idempotency_key, reference=key.reference
            ),
            fmt,
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
        emit_many(client.positive_pay.list_exceptions(account_id=account, limit=page_size), fmt)


# --- webhooks ---------------------------------------------------------------------------------
@command(webhooks, "send", api=False)
def webhooks_send(
    to: Annotated[
        str, typer.Option("--to", metavar="URL", help="The receiver's URL.", show_default=False)
    ],
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file",
            metavar="PATH",
            help="The webhook secret (default: QBANK_WEBHOOK_SECRET).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    event: Annotated[
        str | None,
        typer.Option(
            "--event",
            help="Send this WebhookEvent JSON (file or -) instead of a generated one.",
            metavar="FILE|-",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Generated event: the payment's final status (P_COMPLETED or P_FAILED).",
        ),
    ] = "P_COMPLETED",
    *,
    fmt: Format,
) -> None:
    """Sign and POST a realistic paymentStatusUpdate to a receiver; show its answer."""
    from ._webhooks import send

    send(to=to, secret_file=secret_file, event=event, status=status, fmt=fmt)


@command(webhooks, "verify", api=False)
def webhooks_verify(
    headers: Annotated[
        str,
        typer.Option(
            "--headers",
            help="The captured headers: a JSON object or 'Name: value' lines.",
            metavar="FILE",
            show_default=False,
        ),
    ],
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file",
            metavar="PATH",
            help="The webhook secret(s), one per line (default: QBANK_WEBHOOK_SECRET).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    body: Annotated[
        str, typer.Option("--body", help="The raw body (default: stdin).", metavar="FILE|-")
    ] = "-",
    now: Annotated[
        float | None,
        typer.Option(
            "--now",
            metavar="UNIX_TIME",
            help="When the delivery was received (unix seconds), for a captured one.",
            show_default=False,
        ),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option("--tolerance", metavar="SECONDS", help="Allowed clock skew, seconds.", min=0),
    ] = 300.0,
    *,
    fmt: Format,
) -> None:
    """Say whether a captured delivery (body on stdin) verifies, and if not, why."""
    from ._webhooks import verify

    verify(
        headers=headers, secret_file=secret_file, body=body, now=now, tolerance=tolerance, fmt=fmt
    )


# --- nacha ------------------------------------------------------------------------------------
@command(nacha, "validate", api=False)
def nacha_validate(
    file: Annotated[Path, typer.Argument(help="The NACHA file.", dir_okay=False)],
    *,
    fmt: Format,
) -> None:
    """Check a NACHA file; list every problem (record line, field, columns), not just the first."""
    from ._nacha import validate_file

    validate_file(file, fmt)


@command(nacha, "build", api=False)
def nacha_build(
    csv_file: Annotated[Path, typer.Argument(metavar="CSV", help="The entries.", dir_okay=False)],
    output_file: Annotated[
        str, typer.Option("-o", "--output-file", metavar="FILE|-", help="Where to write it.")
    ],
    immediate_destination: Annotated[
        str,
        typer.Option(
            "--immediate-destination", metavar="ROUTING", help="The bank's routing number."
        ),
    ],
    immediate_origin: Annotated[
        str,
        typer.Option(
            "--immediate-origin", metavar="ID", help="Your origin id (10 digits or routing)."
        ),
    ],
    company_name: Annotated[str, typer.Option("--company-name", metavar="NAME")],
    company_id: Annotated[str, typer.Option("--company-id", metavar="ID")],
    effective_date: Annotated[
        str, typer.Option("--effective-date", metavar="DATE", help="YYYY-MM-DD.")
    ],
    sec_code: Annotated[str, typer.Option("--sec-code", metavar="CODE")] = "PPD",
    destination_name: Annotated[str, typer.Option("--destination-name", metavar="NAME")] = "",
    origin_name: Annotated[str, typer.Option("--origin-name", metavar="NAME")] = "",
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="Company entry description.")
    ] = "PAYMENT",
    *,
    fmt: Format,
) -> None:
    """Build a NACHA file from a CSV of entries and the originator's details."""
    from ._nacha import build

    build(
        csv_file,
        output_file,
        fmt,
        immediate_destination=immediate_destination,
        immediate_origin=immediate_origin,
        company_name=company_name,
        company_id=company_id,
        sec_code=sec_code,
        effective_date=effective_date,
        destination_name=destination_name,
        origin_name=origin_name,
        company_entry_description=description,
    )


# --- sandbox ----------------------------------------------------------------------------------
@command(app, "sandbox", api=False, output=False)
def sandbox(
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", help="Port (0: any free port).")
    ] = 8080,
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Interface.")] = "127.0.0.1",
    token_ttl: Annotated[
        int, typer.Option("--token-ttl", metavar="SECONDS", help="Token lifetime, seconds.")
    ] = 3600,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            "--webhook-url",
            metavar="URL",
            help="POST paymentStatusUpdate events here.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="Seed of the generated data.")
    ] = 0,
) -> None:
    """Run the sandbox server (the same as python -m qbank_connect.sandbox) until Ctrl-C."""
    from ..sandbox.__main__ import main

    argv = ["--host", host, "--port", str(port), "--token-ttl", str(token_ttl), "--seed", str(seed)]
    if webhook_url is not None:
        argv += ["--webhook-url", webhook_url]
    raise SystemExit(main(argv))


def run(argv: list[str] | None = None) -> None:
    """Run ``qbank`` with ``argv`` (default: ``sys.argv[1:]``)."""
    app(args=argv, prog_name="qbank")
