"""The payment journal's data: entries, outcomes, body digests and the decisions made on them.

No I/O here: the backends (``_async/journal.py`` and its generated twin) store and load these
records; the pipeline asks :func:`decide` what to do with the entry it found.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import httpx2

from .. import errors
from .._operations import OPERATIONS
from .._upload import AchUpload
from ..models import ResponseModel

__all__ = [
    "KEY_RETENTION",
    "RESEND_WINDOW",
    "EntryState",
    "JournalEntry",
    "JournalOutcome",
    "RecoveryResult",
    "decide",
    "json_body_record",
    "outcome_from_error",
    "outcome_from_response",
    "RECOVERABLE",
    "upload_body_record",
    "upload_record",
]

KEY_RETENTION = timedelta(hours=24)
"""How long QBank remembers an idempotency key."""

RESEND_WINDOW = KEY_RETENTION - timedelta(hours=1)
"""A pending call is sent again only while its key is younger than this. The hour of margin
covers clock skew between this host and QBank: past the retention, QBank would execute the
same key as a new payment."""

# Final error answers: sending the same request again gets the same answer, so it is recorded
# and re-raised. Any other failure (no answer, 5xx, 429, 401, 403, 409) leaves the call pending.
FINAL_ERROR_STATUSES = frozenset({400, 404, 422})


class EntryState(str, enum.Enum):
    """Where a journaled call stands."""

    PENDING = "pending"
    """Recorded before sending; no final answer yet (sent again with the same key)."""
    SUCCEEDED = "succeeded"
    """QBank answered 2xx; the result is recorded."""
    FAILED = "failed"
    """QBank gave a final error answer (400, 404, 422); the error is recorded."""


@dataclass(frozen=True)
class JournalOutcome:
    """QBank's final answer to a journaled call, as recorded.

    ``body`` is the answer's JSON text (the result, or the error body); ``error`` the name of
    the exception class raised for it (``None`` on success); ``executed`` whether QBank
    executed the call (a success, or a business refusal such as ``ERR_FUNDS_001`` that QBank
    stores for the key) rather than rejecting it before execution (validation, an unknown
    account)."""

    status: int
    body: str
    executed: bool
    error: str | None = None
    error_code: str | None = None
    request_id: str | None = None
    recorded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def succeeded(self) -> bool:
        return self.error is None

    def to_json(self) -> str:
        return json.dumps(
            {
                "status": self.status,
                "body": self.body,
                "executed": self.executed,
                "error": self.error,
                "error_code": self.error_code,
                "request_id": self.request_id,
                "recorded_at": self.recorded_at.isoformat(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> JournalOutcome:
        data = json.loads(text)
        return cls(
            status=int(data["status"]),
            body=str(data["body"]),
            executed=bool(data["executed"]),
            error=data.get("error"),
            error_code=data.get("error_code"),
            request_id=data.get("request_id"),
            recorded_at=datetime.fromisoformat(data["recorded_at"]),
        )

    def http_response(self) -> httpx2.Response:
        """The recorded answer as a response, for parsing into the model or the named error."""
        headers = {"Content-Type": "application/json"}
        if self.request_id:
            headers["Request-Id"] = self.request_id
        return httpx2.Response(self.status, headers=headers, content=self.body.encode("utf-8"))


@dataclass(frozen=True)
class JournalEntry:
    """One journaled call, keyed by ``(operation, reference)``.

    Attributes:
        reference: the caller's business identity of the instruction (``"invoice:INV-1042"``).
        operation: the operation id (``createAchPayment``, ``createWirePayment``, ...).
        idempotency_key: the key every attempt of this call sends.
        body_digest: SHA-256 (hex) of ``body`` in canonical JSON form.
        body: the request body as sent (JSON text). It contains account numbers: the journal
            must be protected like the payments themselves. For a NACHA upload: the file's
            name, SHA-256 and size and the form fields, never the file's bytes.
        created_at: when the call was recorded, before its first attempt (UTC).
        state: ``pending``, ``succeeded`` or ``failed``.
        outcome: the final answer, once there is one.
    """

    reference: str
    operation: str
    idempotency_key: str
    body_digest: str
    body: str
    created_at: datetime
    state: EntryState = EntryState.PENDING
    outcome: JournalOutcome | None = None

    def settled(self, outcome: JournalOutcome) -> JournalEntry:
        state = EntryState.SUCCEEDED if outcome.succeeded else EntryState.FAILED
        return replace(self, state=state, outcome=outcome)

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(timezone.utc)) - self.created_at

    @property
    def is_upload(self) -> bool:
        return self.operation == "uploadAchFile"


@dataclass(frozen=True)
class RecoveryResult:
    """What ``client.recover()`` did with one pending entry.

    ``action`` is one of:

    - ``"succeeded"``: sent again with its key; QBank answered (``result`` is the model, a
      replay of the first execution when there was one). Recorded.
    - ``"failed"``: sent again; QBank gave a final error answer (``error``). Recorded.
    - ``"unsettled"``: sent again, still no final answer (``error``: a timeout, a 5xx, a 409
      that outlived the wait). Still pending; run ``recover()`` again later.
    - ``"reconcile"``: NOT sent: its key is older than QBank's 24-hour retention, so QBank
      would execute it as a new payment. Look it up (``payments.list``) by hand with the key,
      reference and body digest, then record what you find.
    - ``"needs_file"``: a NACHA upload (the journal keeps the file's digest, not its bytes):
      call ``upload_ach_file`` again with the same file and ``reference``.
    """

    action: Literal["succeeded", "failed", "unsettled", "reconcile", "needs_file"]
    entry: JournalEntry
    result: Any = None
    error: errors.QBankError | None = None

    @property
    def reference(self) -> str:
        return self.entry.reference

    @property
    def idempotency_key(self) -> str:
        return self.entry.idempotency_key

    @property
    def body_digest(self) -> str:
        return self.entry.body_digest


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def json_body_record(wire: bytes) -> tuple[str, str]:
    """``(body, digest)`` for a JSON request body: the body as sent, the digest of its canonical
    form (so key order and whitespace do not make two bodies differ)."""
    text = wire.decode("utf-8")
    return text, _digest(_canonical(json.loads(text)))


def upload_body_record(
    file_name: str, sha256: str, size: int, fields: Mapping[str, str]
) -> tuple[str, str]:
    """``(body, digest)`` for a NACHA upload: what identifies the file, not its bytes."""
    text = _canonical(
        {"file_name": file_name, "file_sha256": sha256, "file_size": size, "fields": dict(fields)}
    )
    # The file name is not part of the instruction: the same file under another name is the
    # same payment run, so it does not enter the digest.
    return text, _digest(
        _canonical({"file_sha256": sha256, "file_size": size, "fields": dict(fields)})
    )


def upload_record(upload: AchUpload, fields: Mapping[str, str]) -> tuple[str, str]:
    """``(body, digest)`` of a NACHA upload, read once for its SHA-256 and size, then rewound.

    Blocking (it reads the file): the async client calls it in a worker thread."""
    if not upload.rewindable:
        raise ValueError(
            "file: with reference=, the NACHA file must be a path, bytes or a seekable file "
            "(the journal records its SHA-256 before sending it)"
        )
    stream = upload._file
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 16):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return upload_body_record(upload.file_name, digest.hexdigest(), size, fields)


RECOVERABLE: dict[str, tuple[str, type[ResponseModel]]] = {
    op.operation_id: (op.path, op.model) for op in OPERATIONS if op.recoverable
}
"""What ``recover()`` can send again from the journal alone: operation -> (path, model), a view
of the operation table. An upload (``uploadAchFile``) needs its file, which the journal does not
keep."""


def outcome_from_response(response: httpx2.Response) -> JournalOutcome:
    """The outcome of a 2xx answer."""
    return JournalOutcome(
        status=response.status_code,
        body=response.content.decode("utf-8"),
        executed=True,
        request_id=response.headers.get("request-id"),
    )


def outcome_from_error(error: errors.QBankError) -> JournalOutcome | None:
    """The outcome of a final error answer, or ``None`` if the call has no final answer yet."""
    if not isinstance(error, errors.QBankAPIError) or error.status_code not in FINAL_ERROR_STATUSES:
        return None
    try:
        body = error.response.content.decode("utf-8")
    except UnicodeDecodeError:
        body = json.dumps({"message": error.message})
    return JournalOutcome(
        status=error.status_code,
        body=body,
        executed=error.status_code == 422 and error.error_code != "ERR_IDEM_002",
        error=type(error).__name__,
        error_code=error.error_code,
        request_id=error.request_id,
    )


Decision = Literal["send", "replay", "reconcile"]


def decide(stored: JournalEntry, attempted: JournalEntry, now: datetime | None = None) -> Decision:
    """What to do with the entry the journal holds for this call.

    Raises :class:`~qbank_connect.errors.QBankReferenceReuseError` for another body under the
    same reference. ``"replay"``: the outcome is recorded, return it without sending;
    ``"send"``: pending and young enough, send (again) with the recorded key; ``"reconcile"``:
    pending but older than QBank's retention of the key: sending could pay twice."""
    if stored.body_digest != attempted.body_digest:
        raise errors.QBankReferenceReuseError(
            f"reference {stored.reference!r} was already used for {stored.operation} with "
            f"another request body (recorded {stored.created_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"body digest {stored.body_digest[:16]}..., idempotency_key="
            f"{stored.idempotency_key}); nothing was sent",
            reference=stored.reference,
            idempotency_key=stored.idempotency_key,
        )
    if stored.outcome is not None:
        return "replay"
    if stored.age(now) >= RESEND_WINDOW:
        return "reconcile"
    return "send"
