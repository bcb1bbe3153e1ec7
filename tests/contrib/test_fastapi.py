"""qbank_connect.contrib.fastapi on a real FastAPI app: through httpx2's ASGI transport (asyncio
and trio) and through uvicorn on a loopback socket."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

pytest.importorskip("fastapi")

from fastapi import Depends, FastAPI

from qbank_connect import AsyncQBankConnect
from qbank_connect.contrib.fastapi import WebhookReceiver, get_client, qbank_lifespan
from qbank_connect.models import WebhookEvent
from qbank_connect.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox
from qbank_connect.webhooks import AsyncEventDeduplicator, EventDeduplicator, signed_headers

from ..webhooks.webhook_samples import SECRET, event_body
from .deliveries import bad_deliveries, delivery

URL = "/qbank/webhooks"


class Handler:
    """The endpoint's business logic: records what it handled; can be told to fail."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.fail: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, event: WebhookEvent) -> None:
        if event.id in self.fail:
            self.fail.discard(event.id)
            raise RuntimeError(f"handler failed for {event.id}")
        with self.lock:
            self.handled.append(event.id)


def make_app(receiver: WebhookReceiver, handler: Handler, **lifespan_options: Any) -> FastAPI:
    app = FastAPI(lifespan=qbank_lifespan(**lifespan_options) if lifespan_options else None)

    @app.post(URL)
    async def qbank_webhook(event: WebhookEvent = Depends(receiver.event)) -> dict[str, bool]:
        await anyio.sleep(0.001)  # let concurrent deliveries interleave
        handler(event)
        return {"received": True}

    @app.get("/operating")
    async def operating(client: AsyncQBankConnect = Depends(get_client)) -> dict[str, str]:
        balance = await client.balances.get("acc_operating")
        return {"available": str(balance.available)}

    return app


@asynccontextmanager
async def asgi_client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.mark.anyio
async def test_a_valid_delivery_runs_the_endpoint_once(handler: Handler) -> None:
    app = make_app(WebhookReceiver(SECRET, dedup=EventDeduplicator()), handler)
    async with asgi_client(app) as http:
        body, headers = delivery("evt_ok")
        response = await http.post(URL, content=body, headers=headers)
        assert (response.status_code, response.json()) == (200, {"received": True})
        for _ in range(3):  # QBank redelivers: new Webhook-Event-ID, same event
            body, headers = delivery("evt_ok")
            response = await http.post(URL, content=body, headers=headers)
            assert (response.status_code, response.json()) == (200, {"detail": "duplicate"})
    assert handler.handled == ["evt_ok"]


@pytest.mark.anyio
@pytest.mark.parametrize("label", list(bad_deliveries("x")))
async def test_bad_deliveries_get_400_with_the_reason(label: str, handler: Handler) -> None:
    app = make_app(WebhookReceiver(SECRET, dedup=EventDeduplicator()), handler)
    body, headers, reason = bad_deliveries("evt_bad")[label]
    async with asgi_client(app) as http:
        response = await http.post(URL, content=body, headers=headers)
        assert (response.status_code, response.json()) == (400, {"detail": reason})
        assert SECRET not in response.text
        # A bad delivery takes nothing: the genuine one is still handled.
        body, headers = delivery("evt_bad")
        assert (await http.post(URL, content=body, headers=headers)).status_code == 200
    assert handler.handled == ["evt_bad"]


@pytest.mark.anyio
async def test_a_failing_endpoint_answers_500_and_the_redelivery_is_handled(
    handler: Handler,
) -> None:
    dedup = EventDeduplicator()
    app = make_app(WebhookReceiver(SECRET, dedup=dedup), handler)
    handler.fail.add("evt_flaky")
    async with asgi_client(app) as http:
        body, headers = delivery("evt_flaky")
        assert (await http.post(URL, content=body, headers=headers)).status_code == 500
        assert handler.handled == []
        assert not dedup.seen("evt_flaky")  # released
        body, headers = delivery("evt_flaky")
        assert (await http.post(URL, content=body, headers=headers)).status_code == 200
        body, headers = delivery("evt_flaky")
        assert (await http.post(URL, content=body, headers=headers)).json() == {
            "detail": "duplicate"
        }
    assert handler.handled == ["evt_flaky"]


@pytest.mark.anyio
async def test_without_a_deduplicator_every_authentic_delivery_runs(handler: Handler) -> None:
    app = make_app(WebhookReceiver(SECRET), handler)
    async with asgi_client(app) as http:
        for _ in range(2):
            body, headers = delivery("evt_twice")
            assert (await http.post(URL, content=body, headers=headers)).status_code == 200
    assert handler.handled == ["evt_twice", "evt_twice"]


@pytest.mark.anyio
async def test_concurrent_deliveries_of_one_event_run_it_once(handler: Handler) -> None:
    app = make_app(WebhookReceiver(SECRET, dedup=EventDeduplicator()), handler)
    statuses: list[int] = []
    async with asgi_client(app) as http:

        async def post(n: int) -> None:
            body, headers = delivery("evt_race", attempt=f"whd_{n}")
            statuses.append((await http.post(URL, content=body, headers=headers)).status_code)

        async with anyio.create_task_group() as tg:
            for n in range(20):
                tg.start_soon(post, n)
        body, headers = delivery("evt_race")
        late = await http.post(URL, content=body, headers=headers)
    # One delivery ran the endpoint; the others were told it was in progress (409: QBank
    # retries) or, once it was done, that it was handled (200).
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1
    assert (late.status_code, late.json()) == (200, {"detail": "duplicate"})
    assert handler.handled == ["evt_race"]


@pytest.mark.anyio
async def test_a_lease_left_by_a_dead_handler_is_taken_over_when_it_expires(
    handler: Handler,
) -> None:
    now = [1000.0]
    dedup = AsyncEventDeduplicator(lease=timedelta(minutes=5), clock=lambda: now[0])
    app = make_app(WebhookReceiver(SECRET, dedup=dedup), handler)
    async with asgi_client(app) as http:
        assert await dedup.first_time("evt_orphan")  # a receiver took it, then was killed
        body, headers = delivery("evt_orphan")
        response = await http.post(URL, content=body, headers=headers)
        assert (response.status_code, response.json()) == (409, {"detail": "in_progress"})
        assert handler.handled == []
        now[0] += 301  # the lease has run out: the next delivery handles the event
        body, headers = delivery("evt_orphan")
        assert (await http.post(URL, content=body, headers=headers)).status_code == 200
    assert handler.handled == ["evt_orphan"]
    assert await dedup.handled("evt_orphan")


def test_the_secret_comes_from_the_environment_and_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="QBANK_WEBHOOK_SECRET"):
        WebhookReceiver()
    monkeypatch.setenv("QBANK_WEBHOOK_SECRET", SECRET)
    receiver = WebhookReceiver()
    assert SECRET not in repr(receiver)
    with pytest.raises(TypeError, match="dedup"):
        WebhookReceiver(SECRET, dedup=object())


@pytest.mark.anyio
async def test_get_client_without_the_lifespan_is_a_named_error(handler: Handler) -> None:
    app = make_app(WebhookReceiver(SECRET), handler)
    async with asgi_client(app) as http:
        response = await http.get("/operating")
    assert response.status_code == 500


# ---------------------------------------------------------------- uvicorn on a real socket


@contextmanager
def uvicorn_server(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_uvicorn_two_servers_share_a_store_and_handle_each_event_once(
    tmp_path: Path, handler: Handler
) -> None:
    """Two apps (two receivers, as two deployments would be) on one SQLite de-duplication store;
    every event is delivered three times to each, in a shuffled order, 8 at a time."""
    store = f"sqlite:///{tmp_path / 'events.db'}"
    dedups = [EventDeduplicator(store=store), EventDeduplicator(store=store)]
    events = [f"evt_uv_{n}" for n in range(40)]
    handler.fail.update(events[::7])  # every 7th fails once, is released, and is redelivered
    try:
        apps = [make_app(WebhookReceiver(SECRET, dedup=d), handler) for d in dedups]
        with uvicorn_server(apps[0]) as first, uvicorn_server(apps[1]) as second:
            jobs = [(url, e) for e in events for url in (first, second) for _ in range(3)]
            random.Random(7).shuffle(jobs)
            statuses: dict[str, list[int]] = {e: [] for e in events}

            def deliver(job: tuple[str, str]) -> None:
                url, event_id = job
                body = event_body(event_id=event_id)
                with httpx2.Client(base_url=url) as http:
                    response = http.post(URL, content=body, headers=signed_headers(body, SECRET))
                statuses[event_id].append(response.status_code)

            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(deliver, jobs))
            # QBank redelivers what was not answered 200 (a 500, a 409 of an event whose
            # handler then failed): until every event has had a 200.
            for _ in range(3):
                for event_id in events:
                    if event_id not in handler.handled:
                        deliver((first, event_id))
    finally:
        for dedup in dedups:
            dedup.close()
    assert sorted(handler.handled) == sorted(events)  # each exactly once
    assert sum(s.count(500) for s in statuses.values()) == len(events[::7])


def test_uvicorn_lifespan_client_reaches_the_sandbox(handler: Handler) -> None:
    with Sandbox() as sandbox, sandbox.serve(port=0) as api:
        app = make_app(
            WebhookReceiver(SECRET),
            handler,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            base_url=api.base_url,
        )
        with uvicorn_server(app) as url, httpx2.Client(base_url=url) as http:
            response = http.get("/operating")
            assert response.status_code == 200, response.text
            assert float(response.json()["available"]) > 0
        assert not hasattr(app.state, "qbank")  # closed and removed at shutdown
