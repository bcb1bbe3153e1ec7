"""``Webhooks``: verification bound to a client's webhook secret(s) (``client.webhooks``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pydantic import ValidationError

from ..errors import WebhookInvalidEventError
from ..models import WebhookEvent
from ._headers import EVENT_ID_HEADER, SIGNATURE_HEADER, HeadersLike
from ._signature import (
    DEFAULT_TOLERANCE,
    Now,
    SecretInput,
    keys_from_secret,
    now_seconds,
    payload_bytes,
    signature_header,
    tolerance_seconds,
    verify_delivery,
)

__all__ = ["Webhooks"]


class Webhooks:
    """Webhook verification bound to the secret(s) configured on a client (``client.webhooks``).

    ``secret`` is a string, a sequence of strings while rotating, or ``None`` when the client
    was built without ``webhook_secret=`` (then every method raises ``ValueError``). The secret
    is checked here, so a bad one fails at start-up. The repr never shows the secret.

    Example::

        client = QBankConnect(token="...", webhook_secret=os.environ["QBANK_WEBHOOK_SECRET"])
        event = client.webhooks.unwrap(request.body, request.headers)
    """

    __slots__ = ("_keys",)

    def __init__(self, secret: SecretInput | None) -> None:
        self._keys: tuple[bytes, ...] | None = None if secret is None else keys_from_secret(secret)

    @property
    def configured(self) -> bool:
        """True when at least one webhook secret is configured.

        Example::

            if not client.webhooks.configured:
                raise SystemExit("set QBANK_WEBHOOK_SECRET")
        """
        return self._keys is not None

    def verify(
        self,
        payload: bytes | str,
        headers: HeadersLike,
        *,
        tolerance: float | timedelta = DEFAULT_TOLERANCE,
        now: Now = None,
    ) -> None:
        """Check that a delivery is authentic and fresh; raise if it is not. The body is not parsed.

        ``payload`` is the raw request body (``bytes``, or ``str`` which is encoded as UTF-8);
        ``headers`` is any mapping of request headers (``dict``, httpx2, Starlette, Django,
        ``email.message.Message``) or an iterable of ``(name, value)`` pairs, matched
        case-insensitively. A header given more than once is rejected. ``now`` is the receive
        time (unix seconds or an aware ``datetime``; default: the current time), which you pass
        when verifying queued deliveries.

        Raises :class:`~qbank_connect.errors.QBankWebhookVerificationError` (a subclass per
        ``reason``); ``ValueError``/``TypeError`` only for programming errors.

        Example::

            client.webhooks.verify(request.body, request.headers)  # raises unless authentic
        """
        self._verified_body(payload, headers, tolerance, now)

    def unwrap(
        self,
        payload: bytes | str,
        headers: HeadersLike,
        *,
        tolerance: float | timedelta = DEFAULT_TOLERANCE,
        now: Now = None,
    ) -> WebhookEvent:
        """Verify a delivery (see :meth:`verify`), then parse it as a :class:`WebhookEvent`.

        JSON is parsed only after the signature and timestamp have been checked; an authentic
        body that is not a valid ``WebhookEvent`` raises
        :class:`~qbank_connect.errors.WebhookInvalidEventError` (``reason="invalid_event"``).

        Example::

            event = client.webhooks.unwrap(await request.body(), request.headers)
            if event.payment.is_completed:
                ...
        """
        return _parse_event(self._verified_body(payload, headers, tolerance, now))

    def sign(self, payload: bytes | str, event_id: str, timestamp: int | None = None) -> str:
        """Return the ``Webhook-Signature`` value QBank would send for this body and delivery id.

        ``timestamp`` defaults to the current unix time. With several secrets, one ``v1=`` entry
        is produced per secret, in order, as QBank does during a rotation. For tests and sandboxes.

        Example::

            header = Webhooks("whsec_test").sign(b'{"id":"evt_1"}', "whd_1", timestamp=1763720130)
            # 't=1763720130,v1=<64 hex digits>'
        """
        return signature_header(self._require_keys(), payload, event_id, timestamp)

    def signed_headers(
        self, payload: bytes | str, event_id: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        """Return both webhook headers for a body, as QBank sends them; handy in receiver tests.

        ``event_id`` defaults to a fresh random id, as each real delivery attempt has.

        Example::

            headers = Webhooks("whsec_test").signed_headers(body)
            response = test_client.post("/webhooks/qbank", content=body, headers=headers)
        """
        if event_id is None:
            event_id = f"whd_{uuid.uuid4().hex}"
        return {
            EVENT_ID_HEADER: event_id,
            SIGNATURE_HEADER: self.sign(payload, event_id, timestamp),
        }

    def _verified_body(
        self, payload: object, headers: object, tolerance: object, now: object
    ) -> bytes:
        keys = self._require_keys()
        body = payload_bytes(payload)
        return verify_delivery(body, headers, keys, tolerance_seconds(tolerance), now_seconds(now))

    def _require_keys(self) -> tuple[bytes, ...]:
        if self._keys is None:
            raise ValueError(
                "no webhook secret is configured: pass webhook_secret=... to the client "
                "or set the QBANK_WEBHOOK_SECRET environment variable"
            )
        return self._keys

    def __repr__(self) -> str:
        if self._keys is None:
            return "Webhooks(secret=None)"
        n = len(self._keys)
        return f"Webhooks(secret=<{n} secret{'s' if n != 1 else ''} configured>)"


def _parse_event(body: bytes) -> WebhookEvent:
    try:
        return WebhookEvent.model_validate_json(body)
    except ValidationError as e:
        # Locations and messages only: pydantic's full text would copy body values (PII) into logs.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
            for err in e.errors(include_url=False, include_input=False, include_context=False)[:3]
        )
        raise WebhookInvalidEventError(
            f"the verified body is not a valid WebhookEvent ({problems})"
        ) from None
    except (ValueError, RecursionError):
        raise WebhookInvalidEventError("the verified body is not a valid WebhookEvent") from None
