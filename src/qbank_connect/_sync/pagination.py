# Generated from src/qbank_connect/_async/pagination.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""Cursor pages that fetch lazily: iterate a page to get every item across all pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from ..errors import QBankError

__all__ = ["Page", "PageFetcher"]

T = TypeVar("T")


class PageFetcher(Protocol[T]):
    """Fetches the page at ``cursor`` with the first page's filters."""

    def __call__(self, cursor: str) -> Page[T]: ...


class Page(Generic[T]):
    """One page of a list, and the way to the next.

    Example::

        page = client.transactions.list(account_id="acc_operating", limit=50)
        for transaction in page:   # every item, across all pages, fetched lazily
            print(transaction.amount)
    """

    def __init__(
        self,
        data: list[T],
        next_cursor: str | None,
        fetch: PageFetcher[T],
    ) -> None:
        self.data = data
        """The items of this page."""
        self.next_cursor = next_cursor
        """The cursor of the next page; ``None`` on the last page."""
        self._fetch = fetch

    def has_next_page(self) -> bool:
        """True unless this is the last page."""
        return self.next_cursor is not None

    def get_next_page(self) -> Page[T]:
        """Fetch the page after this one (same filters). Raises ``QBankError`` on the last page."""
        if self.next_cursor is None:
            raise QBankError("this is the last page; check has_next_page() first")
        return self._fetch(self.next_cursor)

    def iter_pages(self) -> Iterator[Page[T]]:
        """This page, then each following page, fetched as the loop reaches it."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            for item in page.data:
                yield item

    def __repr__(self) -> str:
        return f"<{type(self).__name__} items={len(self.data)} next_cursor={self.next_cursor!r}>"
