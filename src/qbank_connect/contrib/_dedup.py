"""Call a webhook de-duplicator from async code, whichever kind it is.

``EventDeduplicator`` blocks on I/O when it has a store (SQLite, PostgreSQL, Redis): its calls
run in a worker thread. ``AsyncEventDeduplicator`` is awaited as is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import anyio.to_thread

from ..models import WebhookEvent

__all__ = ["call_dedup"]


async def call_dedup(dedup: Any, method: str, event: WebhookEvent) -> Any:
    """``await dedup.<method>(event)`` for an async de-duplicator, a worker thread otherwise."""
    function: Callable[[WebhookEvent], Any] = getattr(dedup, method)
    if inspect.iscoroutinefunction(function):
        return await function(event)
    return await anyio.to_thread.run_sync(function, event)
