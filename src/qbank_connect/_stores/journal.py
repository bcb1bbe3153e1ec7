"""The payment journal's data: entries, outcomes, body digests and the decisions made on them.

No I/O here: the backends (``_async/journal.py`` and its generated twin) store and load these
records; the pipeline asks :func:`decide` what to do with the entry it found.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import httpx2

from .. import errors
from .._upload import AchUpload
from ..models import CheckIssue, Payment, ResponseModel
from .clock import CLOCK_SKEW, SKEW_TOLERANCE, ClockSkew

__all__ = [
    "CLOCK_SKEW",
    "CONFLICT_WAIT",
    "KEY_RETENTION",
    "LEASE",
    "RESEND_WINDOW",
    "SAFETY_MARGIN",
    "SKEW_TOLERANCE",
    "ClockSkew",
    "EntryState",
    "JournalEntry",
    "JournalOutcome",
    "JournalScope",
    "RecoveryResult",
    "decide",
    "generation_key",
    "journal_scope",
    "json_body_record",
    "outcome_from_error",
    "outcome_from_response",
    "RECOVERABLE",
    "upload_body_record",
    "upload_record",
]

KEY_RETENTION = timedelta(hours=24)
"""How long QBank remembers an idempotency key."""

SAFETY_MARGIN = timedelta(hours=1)
"""Kept between the last send the SDK allows and QBank's retention. It covers what the clocks
cannot see: the drift of the store's clock against QBank's, and the time between the last check
of an entry (its lease, before every attempt) and the request's bytes leaving the socket (a
connect timeout at most, unless the process is suspended in that very gap)."""

RESEND_WINDOW = KEY_RETENTION - SAFETY_MARGIN
"""A pending call is sent (again) only while its key is younger than this, measured on the
journal's own clock (PostgreSQL's ``clock_timestamp()``; for SQLite, the host's clock), and
shrunk further by any clock skew seen against QBank's ``Date`` headers. Past the retention,
QBank would execute the same key as a new payment."""

LEASE = timedelta(seconds=30)
"""How long one sender holds an entry (taken on the journal's clock before each attempt)."""

CONFLICT_WAIT = 60.0
"""Default seconds a call follows a 409 (``GET /payments/{transaction_id}``) or waits for an
entry another live sender holds: the default request timeout, the longest a first attempt keeps
its key in flight at QBank before its own sender gives up on it."""


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
    RECONCILE = "reconcile"
    """No final answer and the key may be past QBank's memory: never sent again by the SDK;
    an operator closes it with ``journal.resolve``."""
    RESOLVED = "resolved"
    """An operator found the payment (``payment_id``): later calls return it (fetched)."""
    NOT_SENT = "not_sent"
    """An operator established it never reached QBank: the next call pays it afresh under a
    new key (the entry's next ``generation``); the old key is never sent again."""


@dataclass(frozen=True)
class JournalScope:
    """Whose entries these are: one bank (the client's base URL) and one client id.

    Clients of other banks or other client ids sharing a journal never see each other's
    entries. ``sealer`` seals bodies and answers at rest (``None``: stored in clear, for a
    journal object of your own that keeps no secrets)."""

    bank: str
    client_id: str
    sealer: Any = field(default=None, repr=False, compare=False)


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
    """One journaled call, keyed by ``(bank, client_id, operation, reference)``.

    Attributes:
        reference: the caller's business identity of the instruction (``"invoice:INV-1042"``).
        operation: the operation id (``createAchPayment``, ``createWirePayment``, ...).
        idempotency_key: the key every attempt of this call sends.
        body_digest: SHA-256 (hex) of ``body`` in canonical JSON form.
        body: the request body as sent (JSON text). It contains account numbers: the journal
            must be protected like the payments themselves. For a NACHA upload: the file's
            name, SHA-256 and size and the form fields, never the file's bytes.
        created_at: when the call was recorded, before its first attempt (UTC).
        state: ``pending``, ``succeeded``, ``failed``, ``reconcile``, ``resolved`` or
            ``not_sent``.
        outcome: the final answer, once there is one.
        bank, client_id: the entry's scope (the client's base URL and client id).
        generation: 1, then one more each time an operator resolves it ``not_sent``.
        lease_owner, lease_expires: the sender holding it now, until when (journal clock).
        transaction_id: the in-flight id a 409 named, if any.
        payment_id, resolved_by, resolved_at: an operator's resolution.
        now: the journal's clock when the entry was read (ages are measured on it).
    """

    reference: str
    operation: str
    idempotency_key: str
    body_digest: str
    body: str
    created_at: datetime
    state: EntryState = EntryState.PENDING
    outcome: JournalOutcome | None = None
    bank: str = ""
    client_id: str = ""
    generation: int = 1
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    transaction_id: str | None = None
    payment_id: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    now: datetime | None = field(default=None, compare=False)

    def settled(self, outcome: JournalOutcome) -> JournalEntry:
        state = EntryState.SUCCEEDED if outcome.succeeded else EntryState.FAILED
        return replace(self, state=state, outcome=outcome)

    def age(self, now: datetime | None = None) -> timedelta:
        """How old the entry is: on the journal's clock when it was read from one."""
        return (now or self.now or datetime.now(timezone.utc)) - self.created_at

    def held_by_other(self, owner: str) -> bool:
        """Whether another sender holds a live lease on it (on the journal's clock)."""
        if self.lease_owner is None or self.lease_owner == owner or self.lease_expires is None:
            return False
        return self.lease_expires > (self.now or datetime.now(timezone.utc))

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
    - ``"reconcile"``: NOT sent: its key may be past QBank's 24-hour retention, so QBank
      could execute it as a new payment. Look it up (``payments.list``) by hand with the key,
      reference and body digest, then close it: ``journal.resolve(operation, reference,
      payment_id=...)`` or ``resolve(..., not_sent=True)``.
    - ``"needs_file"``: a NACHA upload (the journal keeps the file's digest, not its bytes),
      young enough to be sent again: call ``upload_ach_file`` again with the same file and
      ``reference``.
    - ``"held"``: another live sender holds it (its lease) past the deadline; not touched.
    """

    action: Literal["succeeded", "failed", "unsettled", "reconcile", "needs_file", "held"]
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
    "createAchPayment": ("/payments/ach", Payment),
    "createWirePayment": ("/payments/wire", Payment),
    "createTransfer": ("/transfers", Payment),
    "createCheckIssue": ("/positivepay/issues", CheckIssue),
}
"""What ``recover()`` can send again from the journal alone: operation -> (path, model). An
upload (``uploadAchFile``) needs its file, which the journal does not keep."""


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


Decision = Literal["send", "replay", "reconcile", "resolved"]


def generation_key(operation: str, reference: str, generation: int) -> str:
    """The idempotency key of an entry's ``generation``: generation 1 keeps
    ``idempotency_key_for(operation, reference)``; a later one (after ``resolve(not_sent=True)``)
    gets a new key, the same in every process."""
    from .._idempotency import idempotency_key_for

    if generation <= 1:
        return idempotency_key_for(operation, reference)
    return idempotency_key_for(operation, reference, f"generation:{generation}")


def decide(
    stored: JournalEntry,
    attempted: JournalEntry,
    now: datetime | None = None,
    window: timedelta | None = None,
) -> Decision:
    """What to do with the entry the journal holds for this call.

    Raises :class:`~qbank_connect.errors.QBankReferenceReuseError` for another body under the
    same reference. ``"replay"``: the outcome is recorded, return it without sending;
    ``"resolved"``: an operator recorded the payment, fetch it; ``"send"``: pending and young
    enough, send (again) with the recorded key, under a lease; ``"reconcile"``: marked so, or
    pending but older than the resend window: sending could pay twice."""
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
    if stored.state is EntryState.RESOLVED:
        return "resolved"
    if stored.state is EntryState.RECONCILE or stored.age(now) >= (window or RESEND_WINDOW):
        return "reconcile"
    return "send"


_JOURNAL_INFO = b"qbank-connect journal v1"


def journal_scope(
    base_url: str,
    client_id: str | None,
    *,
    journal_key: str | bytes | Sequence[str | bytes] | None,
    client_secret: str | None,
) -> JournalScope:
    """The scope of a client's entries, with the sealer of their bodies and answers.

    The key is ``journal_key`` (several: the first seals, any opens), else
    ``QBANK_JOURNAL_KEY``, else the client secret; a client with neither (``token=``) must give
    one. HKDF salt: the bank and client id, so one secret seals each scope differently."""
    import os

    secrets: list[bytes]
    if journal_key is None:
        journal_key = os.environ.get("QBANK_JOURNAL_KEY") or None
    if journal_key is None:
        if not client_secret:
            raise ValueError(
                "journal_key is required with a journal when the client has no client secret "
                "(token=): the journal seals bodies and answers (account numbers) at rest"
            )
        secrets = [client_secret.encode()]
    else:
        keys = [journal_key] if isinstance(journal_key, (str, bytes)) else list(journal_key)
        if not keys or any(not isinstance(k, (str, bytes)) or not k for k in keys):
            raise ValueError("journal_key must be a non-empty string or bytes, or a list of them")
        secrets = [k.encode() if isinstance(k, str) else k for k in keys]
    from .sealing import Sealer

    scope_id = client_id or ""
    salt = json.dumps([base_url, scope_id], separators=(",", ":")).encode()
    sealer = Sealer(secrets, info=_JOURNAL_INFO, salt=salt, purpose="journal=")
    return JournalScope(base_url, scope_id, sealer)
