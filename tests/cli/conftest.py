from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

pytest.importorskip("typer", reason="the cli extra is not installed")
pytest.importorskip("rich", reason="the cli extra is not installed")

from qbank_connect.sandbox import Sandbox, SandboxServer

START = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox owned by the test (frozen clock), for commands pointed at it with --base-url."""
    with Sandbox(start=START) as sandbox:
        yield sandbox


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    with sandbox.serve(port=0) as server:
        yield server
