"""Call hooks (``hooks={"request": [...], "response": [...], "error": [...]}``): what they are
given, and how they run.

A hook receives one :class:`CallInfo`, a frozen record of plain values: no request, no headers,
no token, no body. The ``error`` it may carry is a detached copy of the exception, without its
request, response and traceback (they hold the ``Authorization`` header and the call's locals).

A hook that raises is logged (one record) and the call goes on; only a ``request`` hook may stop
a call, by raising :class:`~qbank_connect.errors.QBankHookAbort`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import httpx2

from ._logging import logger
from .errors import QBankHookAbort

__all__ = [
    "HOOK_EVENTS",
    "CallInfo",
    "Hook",
    "HookedCall",
    "Hooks",
    "async_hooks_of",
    "hooks_of",
    "run_hooks",
    "run_hooks_async",
]

HOOK_EVENTS = ("request", "response", "error")

Hook = Callable[["CallInfo"], Any]
"""A function of one :class:`CallInfo` (on the async client, it may be a coroutine function)."""


@dataclass(frozen=True, slots=True)
class CallInfo:
    """What a hook is told about one attempt of an API call (read-only).

    Attributes:
        operation: the contract's operationId (``"createAchPayment"``), or ``None`` for a
            ``client.request()`` to a path the SDK does not know.
        method: ``"GET"``, ``"POST"``, ...
        path: the path relative to the base URL, as sent (``"/balances/acc_operating"``); no
            query string.
        attempt: 1 for the first HTTP attempt, then 2, 3, ... (retries and the replay after a
            refused token alike).
        idempotency_key: the call's ``Idempotency-Key`` (``None`` when it sends none).
        reference: the caller's ``reference=`` (the journal's key), if any.
        request_id: QBank's ``Request-Id`` of the answer (``None`` before an answer).
        status: the HTTP status of the answer (``None`` before an answer, or when none came).
        elapsed: seconds since the call started (the first hook, backoff included).
        error: for ``error`` hooks, the exception: the attempt's, or the one the call raises
            (a copy, without its request, response and traceback).
        final: for ``error`` hooks, ``True`` when the call raises ``error`` (no attempt follows).

    Example::

        def log_answer(info: CallInfo) -> None:
            print(info.operation, info.attempt, info.status, info.request_id)
    """

    operation: str | None
    method: str
    path: str
    attempt: int
    idempotency_key: str | None
    reference: str | None
    request_id: str | None = None
    status: int | None = None
    elapsed: float = 0.0
    error: BaseException | None = None
    final: bool = False


class Hooks(NamedTuple):
    """A client's hooks, checked and frozen once (``None`` instead when there are none)."""

    request: tuple[Hook, ...]
    response: tuple[Hook, ...]
    error: tuple[Hook, ...]


def hooks_of(hooks: object, *, asynchronous: bool = False) -> Hooks | None:
    """Check the blocking client's ``hooks=`` (the shape of httpx's ``event_hooks``): plain
    functions only; ``None`` when there are none.

    Example::

        hooks_of({"response": [print]})
    """
    if hooks is None:
        return None
    if not isinstance(hooks, Mapping):
        raise ValueError(
            'hooks must be a dict such as {"request": [...], "response": [...], "error": [...]}, '
            f"not {type(hooks).__name__}"
        )
    found: dict[str, tuple[Hook, ...]] = {}
    for event, functions in cast("Mapping[object, object]", hooks).items():
        if event not in HOOK_EVENTS:
            raise ValueError(f"hooks: unknown event {event!r}; the events are {HOOK_EVENTS}")
        if isinstance(functions, (str, bytes)) or not isinstance(functions, Sequence):
            raise ValueError(f'hooks["{event}"] must be a list of functions')
        listed = cast("Sequence[object]", functions)
        for function in listed:
            if not callable(function):
                raise ValueError(f'hooks["{event}"]: {function!r} is not callable')
            if not asynchronous and _is_async(function):
                raise ValueError(
                    f'hooks["{event}"]: {function!r} is an async function; the blocking client '
                    "runs plain functions only (AsyncQBankConnect runs both)"
                )
        found[str(event)] = tuple(cast("Sequence[Hook]", listed))
    if not any(found.values()):
        return None
    return Hooks(found.get("request", ()), found.get("response", ()), found.get("error", ()))


def async_hooks_of(hooks: object) -> Hooks | None:
    """The async client's :func:`hooks_of`: plain functions and coroutine functions."""
    return hooks_of(hooks, asynchronous=True)


def _is_async(function: object) -> bool:
    call = getattr(function, "__call__", None)  # noqa: B004 - a callable object's async __call__
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)


class HookedCall:
    """The state of one call whose client has hooks: what its next :class:`CallInfo` says.

    Allocated only when there are hooks; the pipeline without hooks never builds one."""

    __slots__ = (
        "attempt",
        "first_ran",
        "hooks",
        "key",
        "method",
        "operation",
        "path",
        "reference",
        "reported",
        "started",
    )

    def __init__(
        self,
        hooks: Hooks,
        *,
        method: str,
        path: str,
        operation: str,
        key: str | None,
        reference: str | None,
    ) -> None:
        self.hooks = hooks
        self.method = method
        self.path = path
        self.operation = operation or None
        self.key = key
        self.reference = reference
        self.started = time.monotonic()
        self.attempt = 0
        self.first_ran = False
        """The first attempt's ``request`` hooks already ran (before the journal records it)."""
        self.reported = False
        """The ``error`` hooks were told the final error."""

    def info(
        self,
        *,
        status: int | None = None,
        request_id: str | None = None,
        error: BaseException | None = None,
        final: bool = False,
    ) -> CallInfo:
        if final:
            self.reported = True
        return CallInfo(
            self.operation,
            self.method,
            self.path,
            max(self.attempt, 1),
            self.key,
            self.reference,
            request_id,
            status,
            time.monotonic() - self.started,
            None if error is None else detached(error),
            final,
        )


def detached(error: BaseException) -> BaseException:
    """A copy of ``error`` for hooks: same class and attributes, without the request and response
    (their headers carry the ``Authorization`` header), the traceback (its frames' locals hold
    the token) and the chained exceptions."""
    cls = type(error)
    try:
        copy = cls.__new__(cls, *error.args)
        fields = getattr(error, "__dict__", None)
        if fields:
            copy.__dict__.update(
                {name: None if _is_http(value) else value for name, value in fields.items()}
            )
            headers = copy.__dict__.get("headers")
            if headers is not None and not isinstance(headers, dict):
                copy.__dict__["headers"] = dict(headers)  # a plain copy of the response headers
    except Exception:
        copy = RuntimeError(f"{cls.__name__} (not copyable for hooks)")
    copy.__traceback__ = None
    copy.__cause__ = copy.__context__ = None
    copy.__suppress_context__ = True
    return copy


def _is_http(value: object) -> bool:
    # httpx2's (and the aiohttp backend's lazy subclass of its Response), or legacy httpx's.
    if isinstance(value, (httpx2.Request, httpx2.Response)):
        return True
    name = type(value).__name__
    return name in ("Request", "Response") and type(value).__module__.startswith("httpx")


def _failed(event: str, hook: Hook, info: CallInfo) -> None:
    logger.error(
        "%s hook %r raised during %s %s (attempt %d); ignored, the call goes on",
        event,
        hook,
        info.method,
        info.path,
        info.attempt,
        exc_info=True,
    )


def run_hooks(event: str, hooks: tuple[Hook, ...], info: CallInfo) -> None:
    """Run the blocking client's hooks of one event. A ``request`` hook raising
    :class:`QBankHookAbort` stops the call; any other failure is logged and ignored."""
    for hook in hooks:
        try:
            hook(info)
        except QBankHookAbort:
            if event == "request":
                raise
            _failed(event, hook, info)
        except Exception:
            _failed(event, hook, info)


async def run_hooks_async(event: str, hooks: tuple[Hook, ...], info: CallInfo) -> None:
    """The async client's :func:`run_hooks`: plain functions and coroutine functions alike."""
    for hook in hooks:
        try:
            result = hook(info)
            if inspect.isawaitable(result):
                await result
        except QBankHookAbort:
            if event == "request":
                raise
            _failed(event, hook, info)
        except Exception:
            _failed(event, hook, info)
