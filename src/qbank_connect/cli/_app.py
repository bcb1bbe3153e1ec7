"""The ``qbank`` root command: its groups and ``qbank sandbox``.

Each command imports the SDK only when it runs, so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ._accounts import accounts, auth, balances, transactions
from ._exit import epilog
from ._journal import journal
from ._offline import nacha, webhooks
from ._options import command
from ._payments import payments
from ._treasury import positive_pay, transfers

__all__ = ["app", "run"]

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
    journal,
):
    app.add_typer(_sub)


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
