"""The options every command shares, added to each command by :func:`command`.

They go on each command (``qbank balances get ID --sandbox``), not only on ``qbank`` itself,
so they can be written where a shell user writes them: at the end.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from .._operations import operation as sdk_operation
from ._connect import Target
from ._errors import guard
from ._output import Format

__all__ = ["OPERATIONS", "JsonSource", "Keying", "PageSize", "command", "group"]

_CONNECTION = "Connection"


def _param(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


_TARGET = (
    _param(
        "sandbox",
        Annotated[
            bool,
            typer.Option(
                "--sandbox",
                help="Run against an embedded sandbox started for this command (demo credentials, "
                "no network, empty every run); not QBank's hosted sandbox, which is "
                "--environment sandbox.",
                rich_help_panel=_CONNECTION,
            ),
        ],
        False,
    ),
    _param(
        "client_id",
        Annotated[
            str | None,
            typer.Option(
                "--client-id",
                metavar="ID",
                envvar="QBANK_CLIENT_ID",
                help="OAuth client id.",
                rich_help_panel=_CONNECTION,
                show_default=False,
            ),
        ],
        None,
    ),
    _param(
        "secret_file",
        Annotated[
            Path | None,
            typer.Option(
                "--secret-file",
                metavar="PATH",
                help="Read the client secret from this file (default: QBANK_CLIENT_SECRET). "
                "A secret is never a flag value.",
                rich_help_panel=_CONNECTION,
                show_default=False,
                dir_okay=False,
            ),
        ],
        None,
    ),
    _param(
        "prompt_secret",
        Annotated[
            bool,
            typer.Option(
                "--prompt-secret",
                help="Ask for the client secret (not echoed).",
                rich_help_panel=_CONNECTION,
            ),
        ],
        False,
    ),
    _param(
        "base_url",
        Annotated[
            str | None,
            typer.Option(
                "--base-url",
                metavar="URL",
                envvar="QBANK_BASE_URL",
                help="API base URL (overrides --environment).",
                rich_help_panel=_CONNECTION,
                show_default=False,
            ),
        ],
        None,
    ),
    _param(
        "environment",
        Annotated[
            str,
            typer.Option(
                "--environment",
                metavar="NAME",
                envvar="QBANK_ENVIRONMENT",
                help="production, or sandbox for QBank's hosted sandbox (real network, your "
                "sandbox credentials); --sandbox is the embedded one, in this process.",
                rich_help_panel=_CONNECTION,
            ),
        ],
        "production",
    ),
    _param(
        "max_retries",
        Annotated[
            int | None,
            typer.Option(
                "--max-retries",
                metavar="N",
                help="Automatic retries of a failed call (SDK default: 2).",
                rich_help_panel=_CONNECTION,
                show_default=False,
                min=0,
            ),
        ],
        None,
    ),
)
_TARGET_NAMES = tuple(p.name for p in _TARGET)

_OUTPUT = _param(
    "output",
    Annotated[
        Format,
        typer.Option(
            "--output",
            metavar="auto|table|json|csv",
            help="auto: a table on a terminal, JSON when piped.",
            case_sensitive=False,
        ),
    ],
    Format.auto,
)

_TRANSACTIONAL = (
    _param(
        "idempotency_key",
        Annotated[
            str | None,
            typer.Option(
                "--idempotency-key",
                metavar="UUID",
                help="The Idempotency-Key (a UUID v4; default: a new one). Re-running with the same "
                "key executes at most once.",
                show_default=False,
            ),
        ],
        None,
    ),
    _param(
        "reference",
        Annotated[
            str | None,
            typer.Option(
                "--reference",
                metavar="TEXT",
                help="Your reference for this instruction (e.g. an invoice number): the key is "
                "derived from it, so re-running never pays twice.",
                show_default=False,
            ),
        ],
        None,
    ),
    _param(
        "conflict_wait",
        Annotated[
            float | None,
            typer.Option(
                "--conflict-wait",
                metavar="SECONDS",
                help="After a 409 (the same key in flight), follow the payment this long "
                "(SDK default: 60; 0: fail at once).",
                show_default=False,
                min=0,
            ),
        ],
        None,
    ),
)

_DEBUG = _param(
    "debug",
    Annotated[bool, typer.Option("--debug", help="Show the traceback of a failure.")],
    False,
)


@dataclass(frozen=True)
class Keying:
    """How a transactional command keys its request: ``--idempotency-key`` or ``--reference``
    (the SDK derives the key from the reference and the operation, the same in every process),
    or neither (the SDK makes a fresh key)."""

    idempotency_key: str | None = None
    reference: str | None = None
    conflict_wait: float | None = None


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


class _Command(TyperCommand):
    """A command whose usage line shows its arguments plainly (``ID``, not ``{ID}``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces: list[str] = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


def group(name: str, help: str) -> typer.Typer:
    """A command group such as ``qbank payments``, for :func:`command` to register on."""
    return typer.Typer(name=name, help=help, no_args_is_help=True, rich_markup_mode=None)


def command(
    group: typer.Typer,
    name: str,
    *,
    api: bool = True,
    output: bool = True,
    operation: str | None = None,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn`` as ``group name`` with the shared options.

    ``operation`` is the API operation it calls (its operationId, a row of the SDK's operation
    table); a transactional one gets ``--idempotency-key`` and ``--reference``.
    ``fn`` receives its own parameters plus ``target`` (a :class:`Target`, for ``api``),
    ``fmt`` (for ``output``) and ``key`` (the idempotency key, for a transactional operation).
    Whatever it raises becomes one line on stderr and an exit code.
    """
    transactional = operation is not None and sdk_operation(operation).transactional

    def decorate(fn: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(fn, eval_str=True)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in signature.parameters.values()
            if p.name not in ("target", "fmt", "key")
        ]
        own_names = {p.name for p in own}
        extra: list[inspect.Parameter] = []
        if output:
            extra.append(_OUTPUT)
        if transactional:
            extra.extend(_TRANSACTIONAL)
        if api:
            extra.extend(_TARGET)
        extra.append(_DEBUG)

        def wrapper(**kwargs: Any) -> None:
            debug = bool(kwargs.pop("debug", False))
            with guard(debug=debug):
                call = {k: v for k, v in kwargs.items() if k in own_names}
                if api:
                    call["target"] = Target(**{n: kwargs[n] for n in _TARGET_NAMES})
                if output:
                    call["fmt"] = kwargs["output"]
                if transactional:
                    call["key"] = Keying(
                        kwargs["idempotency_key"], kwargs["reference"], kwargs["conflict_wait"]
                    )
                fn(**call)

        parameters = [*own, *extra]
        wrapper.__name__ = fn.__name__
        wrapper.__qualname__ = fn.__qualname__
        wrapper.__doc__ = fn.__doc__
        wrapper.__module__ = fn.__module__
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        # The docstring's first paragraph, whole: Click would cut it at 45 characters mid-phrase.
        short = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        group.command(name, cls=_Command, short_help=short or None)(wrapper)
        if operation is not None:
            OPERATIONS[operation] = f"{group.info.name} {name}"
        return fn

    return decorate


OPERATIONS: dict[str, str] = {}
"""The command of each API operation (by ``operationId``), filled in as commands register."""
