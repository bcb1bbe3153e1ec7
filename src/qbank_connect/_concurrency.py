"""The few primitives that differ between the async client and its generated sync twin.

The async code names only the ``Async*``/``async_*`` spellings below; ``scripts/unasync.py``
renames them to the blocking ones, so neither tree ever imports anyio, asyncio or threading.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

    import anyio

# anyio is imported on first async use only: the blocking client never needs it (~3 ms of import).
_current_token: Callable[[], object] | None = None

__all__ = [
    "AsyncLock",
    "async_preload",
    "preload",
    "async_blocking_check",
    "blocking_check",
    "Lock",
    "async_context_identity",
    "async_drivers_usable",
    "async_map_bounded",
    "async_sleep",
    "map_bounded",
    "sleep",
    "sync_context_identity",
    "sync_drivers_usable",
]


class AsyncLock:
    """A lock (asyncio's on asyncio, anyio's on trio) that follows the client from one event
    loop to the next.

    A lock bound to a closed event loop would fail or hang on the next ``asyncio.run``; this one
    makes a fresh lock whenever it is used from another loop."""

    __slots__ = ("_lock", "_loop")

    def __init__(self) -> None:
        self._lock: anyio.Lock | asyncio.Lock | None = None
        self._loop: object = None

    async def __aenter__(self) -> None:
        loop = async_context_identity()
        if self._lock is None or self._loop != loop:
            if _running_asyncio_loop() is not None:
                import asyncio

                self._lock, self._loop = asyncio.Lock(), loop
            else:
                import anyio

                self._lock, self._loop = anyio.Lock(), loop
        await self._lock.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._lock is not None
        self._lock.release()


class Lock:
    """A threading lock that a forked child gets back unlocked (Celery prefork, gunicorn)."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        _locks.add(self)

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._lock.release()


_locks: weakref.WeakSet[Lock] = weakref.WeakSet()


def _reset_locks_in_child() -> None:
    # A lock held by another thread at fork time would never be released in the child.
    for lock in list(_locks):
        lock._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_locks_in_child)


def async_preload() -> None:
    """Import now what the first call would on this event loop: anyio's asyncio backend, which
    httpcore2 connects through (when the client is made inside a running asyncio loop)."""
    if _running_asyncio_loop() is not None:
        import anyio._backends._asyncio  # noqa: F401  # pyright: ignore[reportUnusedImport]


def preload() -> None:
    """The blocking client's first call imports nothing more: nothing to do."""


async def async_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def async_map_bounded(
    function: Callable[[int], Awaitable[None]], count: int, concurrency: int
) -> None:
    """``function(0) ... function(count - 1)``, at most ``concurrency`` at a time (tasks)."""
    import anyio

    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def one(index: int) -> None:
        async with limiter:
            await function(index)

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(one, index)


def map_bounded(function: Callable[[int], None], count: int, concurrency: int) -> None:
    """``function(0) ... function(count - 1)``, at most ``concurrency`` at a time (threads)."""
    if count == 0:
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, count))) as pool:
        for future in [pool.submit(function, index) for index in range(count)]:
            future.result()


def _running_asyncio_loop() -> object:
    asyncio = sys.modules.get("asyncio")  # imported by any program running an asyncio loop
    return None if asyncio is None else asyncio._get_running_loop()


def async_context_identity() -> object:
    """Identifies the running event loop: connections opened on one loop can't be used on another.

    On asyncio, the loop itself (no anyio import, a C call); on trio, anyio's loop token."""
    loop = _running_asyncio_loop()
    if loop is not None:
        return loop
    global _current_token
    if _current_token is None:  # first async use (called on every request: no import statement)
        from anyio.lowlevel import current_token

        _current_token = current_token
    return _current_token()


def sync_context_identity() -> object:
    """Identifies the process: connections opened before ``os.fork()`` belong to the parent."""
    return os.getpid()


def async_drivers_usable() -> bool:
    """Whether the async drivers of the stores (psycopg, redis-py: asyncio only) can run here."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio
        return False
    return True


def sync_drivers_usable() -> bool:
    """The blocking drivers run anywhere."""
    return True


def async_blocking_check() -> None:
    """The async client belongs in an event loop: nothing to check (twin of ``blocking_check``)."""


_warned_blocking = False


def blocking_check() -> None:
    """Warn, once per process, when the blocking client is called inside a running event loop.

    Such a call blocks every other task of that loop until QBank answers. Costs one flag test
    per call once warned, and a C-level look-up of the running loop until then."""
    global _warned_blocking
    if _warned_blocking:
        return
    asyncio = sys.modules.get("asyncio")
    running = asyncio is not None and asyncio._get_running_loop() is not None
    if not running:
        # trio may be half imported by another thread right now: no attribute is certain yet.
        lowlevel = getattr(sys.modules.get("trio"), "lowlevel", None)
        in_trio_run = getattr(lowlevel, "in_trio_run", None)
        running = in_trio_run is not None and bool(in_trio_run())
    if running:
        _warned_blocking = True
        warnings.warn(
            "the blocking QBankConnect client was called inside a running event loop, which it "
            "blocks until QBank answers; use AsyncQBankConnect (await client.<resource>...) there",
            RuntimeWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside this package: the caller's line, however
    many layers the call went through (a resource method, ``client.request()``, a page)."""
    frame = sys._getframe(2)
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "qbank_connect."
    ):
        frame = frame.f_back
        level += 1
    return level
