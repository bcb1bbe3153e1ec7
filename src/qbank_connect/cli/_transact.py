"""Transactional commands: send a request under its idempotency key, show the key with the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._connect import Target, connect
from ._options import Keying
from ._output import Format, emit, note

if TYPE_CHECKING:
    from .._sync.client import QBankConnect

__all__ = ["emit_transacted", "send_json"]


class _JsonCall(Protocol):
    def __call__(
        self,
        *,
        request: Mapping[str, Any],
        idempotency_key: str | None,
        reference: str | None,
        conflict_wait: float | None,
    ) -> Any: ...


def emit_transacted(raw: Any, fmt: Format) -> None:
    """Print a transactional call's result; its key and replay status go to stderr."""
    replayed = " (replayed: this request was already executed)" if raw.replayed else ""
    note(f"idempotency key: {raw.idempotency_key}{replayed}")
    emit(raw.parse(), fmt)


def send_json(
    json_source: str,
    target: Target,
    fmt: Format,
    key: Keying,
    call: Callable[[QBankConnect], _JsonCall],
) -> None:
    """Send the JSON object in ``json_source`` (a file, or - for stdin) with the method ``call``
    picks from the client, under ``key``; print the result.

    The body is read (and refused if it is not a JSON object) before any connection.

    Example::

        send_json("wire.json", target, fmt, key, lambda c: c.with_raw_response.payments.create_wire)
    """
    from ._inputs import read_json_object

    body = read_json_object(json_source)
    with connect(target) as client:
        emit_transacted(
            call(client)(
                request=body,
                idempotency_key=key.idempotency_key,
                reference=key.reference,
                conflict_wait=key.conflict_wait,
            ),
            fmt,
        )
