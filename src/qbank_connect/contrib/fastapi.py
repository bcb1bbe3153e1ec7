"""QBank webhooks and clients in FastAPI (and Starlette) apps.

``pip install "qbank-connect[fastapi]"``; see docs/fastapi.md.

Example::

    from fastapi import Depends, FastAPI

    from qbank_connect import AsyncQBankConnect
    from qbank_connect.contrib.fastapi import WebhookReceiver, get_client, qbank_lifespan
    from qbank_connect.models import WebhookEvent
    from qbank_connect.webhooks import EventDeduplicator

    app = FastAPI(lifespan=qbank_lifespan(journal="sqlite:///qbank-journal.db"))
    receiver = WebhookReceiver(dedup=EventDeduplicator(store="sqlite:///qbank-events.db"))

    @app.post("/qbank/webhooks")
    async def qbank_webhook(event: WebhookEvent = Depends(receiver.event)) -> dict[str, bool]:
        await mark_invoice(event.payment)        # runs once per event; raise to get a redelivery
        return {"received": True}

    @app.get("/balance")
    async def balance(client: AsyncQBankConnect = Depends(get_client)) -> str:
        return str((await client.balances.get("acc_operating")).available)
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import anyio
from fastapi import HTTPException, Request

from .. import AsyncQBankConnect
from ..errors import QBankWebhookVerificationError
from ..models import WebhookEvent
from ..webhooks import DEFAULT_TOLERANCE, Webhooks
from ._dedup import call_dedup

__all__ = ["WebhookReceiver", "get_client", "qbank_lifespan"]

log = logging.getLogger("qbank_connect.contrib.fastapi")

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


class WebhookReceiver:
    """Verified, de-duplicated webhook events for FastAPI endpoints.

    ``webhook_secret`` is one secret or a list while rotating (default:
    ``QBANK_WEBHOOK_SECRET``); ``dedup`` an ``EventDeduplicator`` or ``AsyncEventDeduplicator``
    (give it a ``store=`` shared by your workers), or ``None`` to run the endpoint for every
    authentic delivery.

    ``Depends(receiver.event)`` reads the raw request body (never a parsed one), verifies it and
    yields the :class:`~qbank_connect.models.WebhookEvent`. A bad delivery is answered 400 with
    the reason (``{"detail": "no_matching_signature"}``) and the endpoint does not run. With a
    de-duplicator, a delivery of an event already handled is answered 200 without running the
    endpoint, one of an event another delivery is handling right now 409 (so QBank retries it,
    should that delivery die); the event is marked done when the endpoint returns and released
    when it raises (the error answers 500, and QBank's redelivery is handled). A handler killed
    mid-way leaves a lease that expires (``lease=``, default 5 minutes), then the next delivery
    handles the event.

    Example::

        receiver = WebhookReceiver(dedup=EventDeduplicator(store="redis://cache:6379/0"))

        @app.post("/qbank/webhooks")
        async def qbank_webhook(event: WebhookEvent = Depends(receiver.event)) -> None:
            await handle(event.payment)
    """

    def __init__(
        self,
        webhook_secret: str | Sequence[str] | None = None,
        *,
        dedup: Any = None,
        tolerance: float | timedelta = DEFAULT_TOLERANCE,
    ) -> None:
        if webhook_secret is None:
            webhook_secret = os.environ.get("QBANK_WEBHOOK_SECRET") or None
        if webhook_secret is None:
            raise ValueError("webhook_secret (or QBANK_WEBHOOK_SECRET) is required")
        self._webhooks = Webhooks(webhook_secret)
        if dedup is not None and not all(
            callable(getattr(dedup, name, None)) for name in ("first_time", "release")
        ):
            raise TypeError(
                "dedup must be an EventDeduplicator or AsyncEventDeduplicator, "
                f"not {type(dedup).__name__}"
            )
        self.dedup: Any = dedup
        self.tolerance = tolerance

    def __repr__(self) -> str:
        return f"<{type(self).__name__} dedup={self.dedup!r}>"

    async def verify(self, request: Request) -> WebhookEvent:
        """The verified event of a request, or ``HTTPException(400)`` naming the reason.

        No de-duplication: for endpoints that de-duplicate themselves (or Starlette routes).

        Example::

            event = await receiver.verify(request)
        """
        body = await request.body()  # the raw bytes, exactly as received
        try:
            return self._webhooks.unwrap(body, request.headers, tolerance=self.tolerance)
        except QBankWebhookVerificationError as e:
            log.warning("rejected webhook delivery: %s", e.reason)
            raise HTTPException(status_code=400, detail=e.reason) from None

    async def event(self, request: Request) -> AsyncIterator[WebhookEvent]:
        """The dependency: ``event: WebhookEvent = Depends(receiver.event)``.

        Example::

            @app.post("/qbank/webhooks")
            async def qbank_webhook(event: WebhookEvent = Depends(receiver.event)) -> None:
                ...
        """
        event = await self.verify(request)
        dedup = self.dedup
        if dedup is None:
            yield event
            return
        if not await call_dedup(dedup, "first_time", event):
            if await call_dedup(dedup, "handled", event):
                log.info("webhook event %s: already handled, answered 200", event.id)
                raise HTTPException(status_code=200, detail="duplicate")  # QBank stops
            # Another delivery holds it right now: 409, so QBank retries should that one die.
            log.info("webhook event %s: being handled by another delivery, answered 409", event.id)
            raise HTTPException(status_code=409, detail="in_progress")
        try:
            yield event
        except BaseException:
            with anyio.CancelScope(shield=True):
                await call_dedup(dedup, "release", event)
            raise
        await call_dedup(dedup, "done", event)


def qbank_lifespan(lifespan: Lifespan | None = None, /, **options: Any) -> Lifespan:
    """A FastAPI/Starlette ``lifespan`` that opens one ``AsyncQBankConnect`` for the app.

    ``options`` are ``AsyncQBankConnect``'s arguments (credentials default to the
    ``QBANK_*`` environment variables); the client is ``app.state.qbank`` and is closed when
    the app stops. ``lifespan`` is your own lifespan, entered inside (the client is open in it).

    Example::

        app = FastAPI(lifespan=qbank_lifespan(journal="postgresql://app@db/treasury"))
    """
    AsyncQBankConnect(**options)  # check the options now: a bad one fails at import, not start

    @asynccontextmanager
    async def qbank(app: Any) -> AsyncGenerator[Any, None]:
        async with AsyncQBankConnect(**options) as client:
            app.state.qbank = client
            try:
                if lifespan is None:
                    yield None
                else:
                    async with lifespan(app) as state:
                        yield state
            finally:
                del app.state.qbank

    return qbank


def get_client(request: Request) -> AsyncQBankConnect:
    """The dependency handing the app's client to an endpoint.

    Example::

        @app.get("/balance")
        async def balance(client: AsyncQBankConnect = Depends(get_client)) -> str:
            return str((await client.balances.get("acc_operating")).available)
    """
    client = getattr(request.app.state, "qbank", None)
    if not isinstance(client, AsyncQBankConnect):
        raise RuntimeError(
            "no QBank client on this app: create it with FastAPI(lifespan=qbank_lifespan(...))"
        )
    return client
