"""Run N callables at once: as anyio tasks for the async client, as threads for the sync one.

The async tests call ``gather_async``; their generated sync twins call ``gather_threads``."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio


async def gather_async(calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Results (or the exceptions raised) in order, all started together."""
    results: list[Any] = [None] * len(calls)

    async def run(i: int) -> None:
        try:
            results[i] = await calls[i]()
        except Exception as exc:
            results[i] = exc

    async with anyio.create_task_group() as tg:
        for i in range(len(calls)):
            tg.start_soon(run, i)
    return results


def gather_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """The same with one thread per call, released together by a barrier so they really overlap."""
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> Any:
        barrier.wait(timeout=30)
        try:
            return calls[i]()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, range(len(calls))))
