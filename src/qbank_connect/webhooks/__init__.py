"""Verify QBank's signed ``paymentStatusUpdate`` deliveries and turn them into typed events.

QBank POSTs a :class:`~qbank_connect.models.WebhookEvent` when a payment reaches ``P_COMPLETED``
or ``P_FAILED``, with two headers:

* ``Webhook-Event-ID``: unique per delivery *attempt*;
* ``Webhook-Signature``: ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``, where each ``v1`` is the
  lowercase hex HMAC-SHA256, keyed with the UTF-8 bytes of the shared secret, of the bytes
  ``<t>.<Webhook-Event-ID>.<raw request body>``.

:func:`unwrap` checks the signature (in constant time, against every configured secret), then
the timestamp (300 s either way), and only then parses the body. Anything wrong raises a
:class:`~qbank_connect.errors.QBankWebhookVerificationError` whose ``reason`` says why: answer it
with 400 and do not act on it. Messages never contain the secret or the expected signature.
Delivery is at-least-once, so de-duplicate on the event's ``id`` (see
:class:`EventDeduplicator`), not on ``Webhook-Event-ID``.

Always pass the *raw* request body, never JSON you parsed and re-serialized.

Example::

    from qbank_connect.errors import QBankWebhookVerificationError
    from qbank_connect.webhooks import unwrap

    try:
        event = unwrap(request_body, request_headers, secret=os.environ["QBANK_WEBHOOK_SECRET"])
    except QBankWebhookVerificationError as e:
        return 400, e.reason
    if event.payment.is_completed:
        release_goods(event.payment.id)
    return 200

The package is pure (no I/O) and shared by ``QBankConnect.webhooks`` and
``AsyncQBankConnect.webhooks``: ``_signature`` (the HMAC scheme), ``_headers`` (finding the two
headers in any framework's request headers), ``_webhooks`` (:class:`Webhooks`, bound to a
secret) and ``_api`` (the module-level functions, thin wrappers of ``Webhooks(secret)``).
:class:`EventDeduplicator` and :class:`AsyncEventDeduplicator` (which do I/O when given a
``store=``) live with the other stores, in ``_async/stores/events.py`` and its generated twin.
"""

from __future__ import annotations

from .._async.stores.events import AsyncEventDeduplicator, AsyncEventStore
from .._sync.stores.events import EventDeduplicator, EventStore
from ..errors import (
    WebhookInvalidEventError,
    WebhookMalformedHeaderError,
    WebhookMissingHeaderError,
    WebhookSignatureError,
    WebhookTimestampError,
)
from ._api import sign, signed_headers, unwrap, verify
from ._headers import EVENT_ID_HEADER, SIGNATURE_HEADER
from ._headers import HeadersLike as HeadersLike
from ._signature import DEFAULT_TOLERANCE
from ._signature import Now as Now
from ._signature import SecretInput as SecretInput
from ._webhooks import Webhooks

__all__ = [
    "AsyncEventDeduplicator",
    "AsyncEventStore",
    "DEFAULT_TOLERANCE",
    "EVENT_ID_HEADER",
    "EventDeduplicator",
    "EventStore",
    "SIGNATURE_HEADER",
    "WebhookInvalidEventError",
    "WebhookMalformedHeaderError",
    "WebhookMissingHeaderError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "Webhooks",
    "sign",
    "signed_headers",
    "unwrap",
    "verify",
]
