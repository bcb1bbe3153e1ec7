"""Fixtures for the sandbox's own tests: plain httpx2, in process and over a loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from qbank_connect.sandbox import Sandbox

from ._helpers import START, get_token


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(start=START) as sb:
        yield sb


@pytest.fixture(params=["inprocess", "socket"])
def raw_http(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[httpx2.Client]:
    """An unauthenticated client, in process or over a real loopback socket."""
    if request.param == "inprocess":
        with sandbox.http_client() as http:
            yield http
    else:
        with sandbox.serve() as server, httpx2.Client(base_url=server.base_url) as http:
            yield http


@pytest.fixture
def http(raw_http: httpx2.Client) -> httpx2.Client:
    """``raw_http`` with a demo-client token (every scope)."""
    raw_http.headers["Authorization"] = f"Bearer {get_token(raw_http)}"
    return raw_http


@pytest.fixture
def inproc(sandbox: Sandbox) -> Iterator[httpx2.Client]:
    """An authenticated in-process client (for tests that need no socket variant)."""
    with sandbox.http_client() as client:
        client.headers["Authorization"] = f"Bearer {get_token(client)}"
        yield client
