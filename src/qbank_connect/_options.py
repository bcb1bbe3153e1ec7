"""What one logical API call is: the single description every layer of the pipeline reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import httpx2

    from ._upload import AchUpload

__all__ = ["RequestOptions"]


class RequestOptions(NamedTuple):
    """One API call, fixed before its first attempt and shared by all of them.

    Immutable (a named tuple: the cheapest frozen record to build, once per call). A new per-call
    option is one field here, read where it matters; resources and the requester pass the whole
    record on. ``timeout`` and ``max_retries`` are ``None`` until the resource fills in the
    client's defaults.
    """

    method: str
    path: str
    """The path as sent, ids percent-encoded, e.g. ``/balances/acc_operating``."""
    operation: str
    """The contract's operationId, e.g. ``createAchPayment``."""
    url_template: str
    """The spec's path template, e.g. ``/balances/{account_id}`` (for logs and traces)."""
    params: Mapping[str, str] | None = None
    json_body: bytes | None = None
    upload: AchUpload | None = None
    upload_fields: Mapping[str, str] | None = None
    transactional: bool = False
    """Sent with an ``Idempotency-Key``, reused by every retry."""
    idempotency_key: str | None = None
    """The caller's key, already validated; a new one is made when ``None``."""
    reference: str | None = None
    """The caller's business identity of the instruction (the payment journal's key)."""
    timeout: httpx2.Timeout | None = None
    max_retries: int | None = None
    conflict_wait: float | None = None
    """Seconds to follow a 409 (or wait for another sender of the journal entry); ``None``:
    the client's ``conflict_wait``."""
