"""List calls of the async client: awaitable for the first page, async-iterable for every item.

The blocking client needs none of this: its list calls fetch the first page at once and return
it (``paginated`` is the identity), so both spellings below name the same behaviour twice.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

if TYPE_CHECKING:
    from ._async.pagination import AsyncPage

__all__ = ["AsyncPaginator", "async_paginated", "paginated"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


class AsyncPaginator(Generic[T]):
    """What an async list call returns, before it is sent.

    ``await`` it for the first :class:`~qbank_connect.AsyncPage`, or ``async for`` over it for
    every item across all pages; the request is sent then, not when the method is called.

    Example::

        async for account in client.accounts.list(limit=50):
            print(account.id)

        page = await client.accounts.list(limit=50)
        print(page.data, page.next_cursor)
    """

    __slots__ = ("_first",)

    def __init__(self, first: Callable[[], Coroutine[Any, Any, AsyncPage[T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self._first()
        async for item in page:
            yield item

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: await it for the first page, or async-iterate it>"


def async_paginated(
    method: Callable[P, Coroutine[Any, Any, AsyncPage[T]]],
) -> Callable[P, AsyncPaginator[T]]:
    """Turns an async list method into one returning an :class:`AsyncPaginator`."""

    @functools.wraps(method)
    def start(*args: P.args, **kwargs: P.kwargs) -> AsyncPaginator[T]:
        return AsyncPaginator(functools.partial(method, *args, **kwargs))

    return start


def paginated(method: Callable[P, R]) -> Callable[P, R]:
    """The blocking twin of :func:`async_paginated`: list calls return their first page."""
    return method
