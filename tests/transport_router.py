"""A small respx-style router for httpx2: code that builds its own client (the guide's) is
answered by routes instead of the network, by patching httpx2's default transports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx2
import pytest


@dataclass
class Route:
    method: str
    url: str
    response: httpx2.Response | None = None
    calls: list[httpx2.Request] = field(default_factory=list)

    def mock(self, *, return_value: httpx2.Response) -> Route:
        self.response = return_value
        return self


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, method: str, url: str) -> Route:
        route = Route(method, url)
        self.routes.append(route)
        return route

    def get(self, url: str) -> Route:
        return self.route("GET", url)

    def post(self, url: str) -> Route:
        return self.route("POST", url)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        url = str(request.url.copy_with(query=None))
        for route in self.routes:
            if route.method == request.method and route.url == url and route.response is not None:
                route.calls.append(request)
                canned = route.response
                return httpx2.Response(
                    canned.status_code, headers=canned.headers, content=canned.content
                )
        raise AssertionError(f"no route for {request.method} {request.url}")


@pytest.fixture
def router(monkeypatch: pytest.MonkeyPatch) -> Iterator[Router]:
    router = Router()

    def handle(_self: object, request: httpx2.Request) -> httpx2.Response:
        return router.handle(request)

    async def handle_async(_self: object, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return router.handle(request)

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", handle)
    monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", handle_async)
    yield router
