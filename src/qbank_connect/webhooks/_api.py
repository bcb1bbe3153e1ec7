"""The module-level helpers: each binds ``secret`` with :class:`Webhooks` and calls it once."""

from __future__ import annotations

from datetime import timedelta

from ..models import WebhookEvent
from ._headers import HeadersLike
from ._signature import DEFAULT_TOLERANCE, NOT_A_SECRET, Now, SecretInput
from ._webhooks import Webhooks

__all__ = ["sign", "signed_headers", "unwrap", "verify"]


def verify(
    payload: bytes | str,
    headers: HeadersLike,
    secret: SecretInput,
    *,
    tolerance: float | timedelta = DEFAULT_TOLERANCE,
    now: Now = None,
) -> None:
    """:meth:`Webhooks.verify` with the secret (a str, or a sequence of str while rotating).

    Example::

        verify(request.body, request.headers, "whsec_...")  # raises unless authentic and fresh
    """
    _bound(secret).verify(payload, headers, tolerance=tolerance, now=now)


def unwrap(
    payload: bytes | str,
    headers: HeadersLike,
    secret: SecretInput,
    *,
    tolerance: float | timedelta = DEFAULT_TOLERANCE,
    now: Now = None,
) -> WebhookEvent:
    """:meth:`Webhooks.unwrap` with the secret: verify a delivery, then parse it.

    Example::

        event = unwrap(await request.body(), request.headers, secret="whsec_...")
        if event.payment.is_completed:
            ...
    """
    return _bound(secret).unwrap(payload, headers, tolerance=tolerance, now=now)


def sign(
    payload: bytes | str,
    secret: SecretInput,
    event_id: str,
    timestamp: int | None = None,
) -> str:
    """:meth:`Webhooks.sign` with the secret: the ``Webhook-Signature`` QBank would send.

    Example::

        header = sign(b'{"id":"evt_1"}', "whsec_test", "whd_1", timestamp=1763720130)
        # 't=1763720130,v1=<64 hex digits>'
    """
    return _bound(secret).sign(payload, event_id, timestamp)


def signed_headers(
    payload: bytes | str,
    secret: SecretInput,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """:meth:`Webhooks.signed_headers` with the secret: both headers, for receiver tests.

    Example::

        body = event.model_dump_json().encode()
        response = test_client.post("/webhooks/qbank", content=body,
                                    headers=signed_headers(body, "whsec_test"))
    """
    return _bound(secret).signed_headers(payload, event_id, timestamp)


def _bound(secret: SecretInput) -> Webhooks:
    # Webhooks(None) is a client built without a secret; here a missing secret is a type error.
    if secret is None:
        raise TypeError(NOT_A_SECRET)
    return Webhooks(secret)
