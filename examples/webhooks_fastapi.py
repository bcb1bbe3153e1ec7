"""Receive QBank ``paymentStatusUpdate`` webhooks with FastAPI.

Every delivery is verified (signature, then timestamp) before anything is acted on; forged, stale
or malformed ones get 400. A re-delivered event (same body ``id``, new ``Webhook-Event-ID``) is
acknowledged with 200 but handled once.

Run::

    export QBANK_WEBHOOK_SECRET=whsec_...
    uvicorn examples.webhooks_fastapi:app --port 8000

With several workers or servers, give the de-duplicator a shared store
(``AsyncEventDeduplicator(store="redis://...")``, or a SQLite or PostgreSQL URL), or use a UNIQUE
constraint on the event id in your database (see ``docs/webhooks.md``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from qbank_connect import AsyncQBankConnect, QBankWebhookVerificationError
from qbank_connect.models import WebhookEvent
from qbank_connect.webhooks import AsyncEventDeduplicator

log = logging.getLogger("qbank.webhooks")

handled: list[WebhookEvent] = []
"""Events handled so far; stands in for your business logic (and lets the tests look)."""


def handle(event: WebhookEvent) -> None:
    """Your business logic. Runs once per event, only for authentic deliveries."""
    payment = event.payment
    if payment.is_completed:
        log.info("payment %s completed: release the goods", payment.id)
    elif payment.is_failed:
        log.info("payment %s failed (%s): do not ship", payment.id, payment.failure_code)
    handled.append(event)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # token=: a receiver never calls the API, so no OAuth credentials are needed here.
    async with AsyncQBankConnect(
        token="unused-in-receiver",
        webhook_secret=os.environ["QBANK_WEBHOOK_SECRET"],
    ) as client:
        app.state.qbank = client
        async with AsyncEventDeduplicator() as dedup:
            app.state.dedup = dedup
            yield


app = FastAPI(lifespan=lifespan)


@app.post("/webhooks/qbank")
async def qbank_webhook(request: Request) -> Response:
    client: AsyncQBankConnect = request.app.state.qbank
    dedup: AsyncEventDeduplicator = request.app.state.dedup
    try:
        # The raw bytes, exactly as received: never re-serialized JSON.
        event = client.webhooks.unwrap(await request.body(), request.headers)
    except QBankWebhookVerificationError as e:
        log.warning("rejected webhook delivery: %s", e)
        return JSONResponse({"error": e.reason}, status_code=400)
    if not await dedup.first_time(event):
        # Handled: acknowledge. Held by another delivery right now: 409, so QBank retries it
        # should that handler die (its lease then runs out and the retry is handled).
        return Response(status_code=200 if await dedup.handled(event) else 409)
    try:
        handle(event)
    except Exception:
        await dedup.release(event)  # answer 500 so QBank retries, and handle the retry
        raise
    await dedup.done(event)
    return Response(status_code=200)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
