"""Idempotency keys per draft-ietf-httpapi-idempotency-key-header, as the spec describes.

A key belongs to one client. The first request claims it (in flight, with the transaction id
allocated up front); a completed execution stores its answer for replay; a request rejected
before execution releases the key so a retry can run.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = [
    "KEY_PATTERN",
    "Claim",
    "IdempotencyEntry",
    "IdempotencyStore",
    "StoredResponse",
    "json_fingerprint",
    "multipart_fingerprint",
]

KEY_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RETENTION = timedelta(hours=24)


def json_fingerprint(parsed: Any) -> str:
    """Bodies compare as parsed JSON: key order and whitespace do not matter."""
    return "json:" + json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def multipart_fingerprint(file_bytes: bytes, fields: dict[str, str]) -> str:
    """Uploads compare on the file's bytes and the other form fields."""
    digest = hashlib.sha256(file_bytes).hexdigest()
    return f"multipart:{digest}:" + json.dumps(fields, sort_keys=True)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content_type: str
    body: bytes


@dataclass
class IdempotencyEntry:
    client_id: str
    key: str
    operation: str
    fingerprint: str
    transaction_id: str
    created_at: datetime
    response: StoredResponse | None = None


@dataclass(frozen=True)
class Claim:
    """The outcome of presenting a key: ``new`` (go ahead), ``in_flight`` (409),
    ``mismatch`` (422 ERR_IDEM_002) or ``replay`` (send the stored response)."""

    kind: Literal["new", "in_flight", "mismatch", "replay"]
    entry: IdempotencyEntry


class IdempotencyStore:
    """Keys by (client, key); the sandbox holds its lock around every call."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], IdempotencyEntry] = {}

    def claim(
        self,
        client_id: str,
        key: str,
        operation: str,
        fingerprint: str,
        transaction_id: str,
        now: datetime,
    ) -> Claim:
        entry = self._entries.get((client_id, key))
        if entry is not None and entry.response is not None and now - entry.created_at > RETENTION:
            del self._entries[(client_id, key)]
            entry = None
        if entry is None:
            entry = IdempotencyEntry(client_id, key, operation, fingerprint, transaction_id, now)
            self._entries[(client_id, key)] = entry
            return Claim("new", entry)
        if entry.operation != operation or entry.fingerprint != fingerprint:
            return Claim("mismatch", entry)
        if entry.response is None:
            return Claim("in_flight", entry)
        return Claim("replay", entry)

    def complete(self, entry: IdempotencyEntry, response: StoredResponse) -> None:
        entry.response = response

    def release(self, entry: IdempotencyEntry) -> None:
        if self._entries.get((entry.client_id, entry.key)) is entry:
            del self._entries[(entry.client_id, entry.key)]

    def entries(self) -> list[IdempotencyEntry]:
        return list(self._entries.values())
