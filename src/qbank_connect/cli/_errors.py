"""Failures as one line on stderr and an exit code (never a traceback unless ``--debug``)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Generator
from contextlib import contextmanager
from typing import NoReturn

from ..errors import (
    QBankAPIError,
    QBankConflictError,
    QBankConnectionError,
    QBankError,
    QBankIdempotencyConflict,
    QBankIdempotencyKeyReuseError,
    QBankPaymentWaitTimeout,
    QBankResponseValidationError,
    QBankWebhookVerificationError,
)
from ._exit import ExitCode

__all__ = ["BadInput", "CommandFailed", "describe", "exit_code_for", "fail", "guard"]


class BadInput(Exception):
    """Input the command refuses before any call (a file, a flag combination, a credential)."""


class CommandFailed(Exception):
    """A command's own failure with its exit code (e.g. a NACHA file with problems)."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.code = code


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit code family of an exception."""
    if isinstance(error, (QBankIdempotencyConflict, QBankIdempotencyKeyReuseError)):
        return ExitCode.CONFLICT
    if isinstance(error, QBankAPIError):
        status = error.status_code
        if status in (401, 403):
            return ExitCode.AUTH
        if status == 404:
            return ExitCode.NOT_FOUND
        if isinstance(error, QBankConflictError) or status == 409:
            return ExitCode.CONFLICT
        if status == 429 or status >= 500:
            return ExitCode.UNAVAILABLE
        if error.error_code and error.error_code.startswith("invalid_"):  # OAuth: bad client
            return ExitCode.AUTH
        return ExitCode.REFUSED
    if isinstance(error, QBankResponseValidationError):
        return ExitCode.UNAVAILABLE
    if isinstance(error, QBankConnectionError):
        return ExitCode.NO_ANSWER
    if isinstance(error, QBankWebhookVerificationError):
        return ExitCode.WEBHOOK
    if isinstance(error, QBankPaymentWaitTimeout):
        return ExitCode.NOT_FINAL
    if isinstance(error, CommandFailed):
        return error.code
    return ExitCode.BAD_INPUT


def describe(error: BaseException) -> str:
    """One line for a human: what failed, and what support or a re-run needs."""
    if isinstance(error, QBankAPIError) and error.status_code is not None:
        text = f"{error.status_code}"
        if error.error_code:
            text += f" {error.error_code}"
        text += f": {error.message}"
    elif isinstance(error, (ValueError, BadInput, CommandFailed, QBankError)):
        text = _first_lines(error)
    else:
        text = f"{type(error).__name__}: {error}"
    facts: list[str] = []
    for name in ("request_id", "idempotency_key", "transaction_id"):
        value = getattr(error, name, None)
        if isinstance(value, str) and value and f"{name}={value}" not in text:
            facts.append(f"{name}={value}")
    if facts:
        text += f" ({', '.join(facts)})"
    hint = _hint(error)
    if hint:
        text += f"; {hint}"
    return " ".join(text.split())


def _first_lines(error: BaseException) -> str:
    if "pydantic" not in sys.modules:  # not loaded: the error cannot be one of its own
        return str(error)
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        problems: list[str] = []
        for item in error.errors()[:10]:
            loc = ".".join(str(part) for part in item["loc"]) or "<body>"
            problems.append(f"{loc}: {item['msg']}")
        return "invalid request: " + "; ".join(problems)
    return str(error)


def _hint(error: BaseException) -> str | None:
    key = getattr(error, "idempotency_key", None)
    if isinstance(error, QBankIdempotencyConflict):
        return "the first request is still being processed: poll it with `qbank payments wait`"
    if isinstance(error, QBankConnectionError) and key:
        return (
            f"the outcome is unknown: re-run with --idempotency-key {key} (executes at most once)"
        )
    if isinstance(error, QBankAPIError) and error.status_code >= 500 and key:
        return f"re-run with --idempotency-key {key} (executes at most once)"
    return None


def fail(error: BaseException, *, debug: bool = False) -> NoReturn:
    """Report ``error`` on stderr and exit with its code."""
    if debug:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    sys.stderr.write(f"qbank: error: {describe(error)}\n")
    sys.stderr.flush()
    raise SystemExit(int(exit_code_for(error)))


@contextmanager
def guard(*, debug: bool = False) -> Generator[None, None, None]:
    """Turn whatever a command raises into a message and an exit code."""
    try:
        yield
    except BrokenPipeError:
        # `qbank ... | head`: the reader left; stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(int(ExitCode.BAD_INPUT)) from None
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write("qbank: interrupted\n")
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None
    except (QBankError, ValueError, BadInput, CommandFailed, OSError) as error:
        fail(error, debug=debug)
    except (SystemExit, GeneratorExit):
        raise
    except Exception as error:  # a bug: still one line, the traceback with --debug
        if not debug:
            sys.stderr.write(
                f"qbank: internal error: {type(error).__name__}: {error} "
                "(run with --debug for the traceback)\n"
            )
            raise SystemExit(int(ExitCode.BAD_INPUT)) from None
        fail(error, debug=debug)
