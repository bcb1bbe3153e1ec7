"""``qbank webhooks`` and ``qbank nacha``: the commands that work offline, with no API call."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._options import command, group
from ._output import Format

__all__ = ["nacha", "webhooks"]

webhooks = group("webhooks", "Send a signed test delivery, or verify a captured one.")
nacha = group("nacha", "Build and check NACHA files before they reach the bank.")


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
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The NACHA file.", dir_okay=False)],
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
