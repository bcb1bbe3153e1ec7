"""The exit codes of ``qbank``: one per family of failure, so scripts can branch on them."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["EXIT_CODES", "ExitCode", "epilog"]


class ExitCode(IntEnum):
    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    CONFLICT = 5
    REFUSED = 6
    UNAVAILABLE = 7
    NO_ANSWER = 8
    WEBHOOK = 9
    NOT_FINAL = 10
    NACHA_INVALID = 11
    ROWS_FAILED = 12
    INTERRUPTED = 130


EXIT_CODES: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success"),
    (
        ExitCode.BAD_INPUT,
        "bad input, refused before any call: unreadable or invalid JSON/CSV, "
        "a field the SDK refuses, missing credentials",
    ),
    (ExitCode.USAGE, "usage: unknown command or option, bad option value"),
    (ExitCode.AUTH, "authentication or permission: 401, 403, token request refused"),
    (ExitCode.NOT_FOUND, "not found: 404"),
    (
        ExitCode.CONFLICT,
        "conflict: 409 (same key still in flight), 422 ERR_IDEM_002 (key reused with another body)",
    ),
    (
        ExitCode.REFUSED,
        "refused by QBank: 400 validation, 422 business rule (e.g. insufficient funds)",
    ),
    (
        ExitCode.UNAVAILABLE,
        "QBank unavailable or failing: 429, 5xx, an answer that breaks the contract",
    ),
    (
        ExitCode.NO_ANSWER,
        "no answer: connection failure or timeout; the outcome is unknown, "
        "re-run with the same --idempotency-key",
    ),
    (ExitCode.WEBHOOK, "webhook: the delivery does not verify, or the receiver did not answer 2xx"),
    (ExitCode.NOT_FINAL, "payments wait gave up before the payment was final"),
    (ExitCode.NACHA_INVALID, "the NACHA file (or its entries) is invalid"),
    (ExitCode.ROWS_FAILED, "bulk run finished, but some rows failed (see the results file)"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C)"),
)
"""Every exit code and what it means; ``--help`` and docs/cli.md show this table."""


def epilog() -> str:
    """The exit-code table for ``qbank --help``."""
    lines = ["\b", "Exit codes:"]
    lines.extend(f"  {code.value:>3}  {meaning}" for code, meaning in EXIT_CODES)
    return "\n".join(lines)
