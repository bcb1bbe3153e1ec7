# Generated from src/qbank_connect/_async/resources/base.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""What every resource shares: the client's pipeline and its per-call defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import httpx2
import pydantic

from ..._config import resolve_timeout, validate_conflict_wait, validate_max_retries
from ..._idempotency import validate_idempotency_key
from ..._options import RequestOptions
from ..._validation import reference_param
from ...models.pages import ListEnvelope
from ..pagination import Page
from ..requester import Requester

__all__ = ["Resource"]

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")


class Resource:
    """A group of operations (``client.payments``, ``client.balances``, ...)."""

    def __init__(self, requester: Requester, *, timeout: httpx2.Timeout, max_retries: int) -> None:
        self._requester = requester
        self._timeout = timeout
        self._max_retries = max_retries

    def _limits(
        self, timeout: float | httpx2.Timeout | None, max_retries: int | None
    ) -> tuple[httpx2.Timeout, int]:
        """A call's own timeout and retry budget, or the client's."""
        return (
            self._timeout if timeout is None else resolve_timeout(timeout),
            self._max_retries if max_retries is None else validate_max_retries(max_retries),
        )

    def _get(
        self,
        path: str,
        cast_to: type[M],
        *,
        operation: str,
        url_template: str,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
    ) -> M:
        """A GET of one resource."""
        timeout, max_retries = self._limits(timeout, max_retries)
        options = RequestOptions(
            "GET", path, operation, url_template, timeout=timeout, max_retries=max_retries
        )
        return self._requester.request(options, cast_to)

    def _list(
        self,
        path: str,
        cast_to: type[ListEnvelope[T]],
        *,
        operation: str,
        params: Mapping[str, str] | None,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
    ) -> Page[T]:
        """A list call: its pages fetch the next one with the same filters and the new cursor."""
        timeout, max_retries = self._limits(timeout, max_retries)
        options = RequestOptions(
            "GET", path, operation, path, params=params, timeout=timeout, max_retries=max_retries
        )
        return self._requester.request_page(options, cast_to)

    def _transact(
        self,
        options: RequestOptions,
        cast_to: type[M],
        *,
        idempotency_key: object,
        reference: object,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
        conflict_wait: float | None = None,
    ) -> M:
        """A transactional POST: it carries an Idempotency-Key, reused by every retry.

        The key is the caller's ``idempotency_key``, or derived from ``reference``, or new."""
        if idempotency_key is not None and reference is not None:
            raise ValueError(
                "pass idempotency_key or reference, not both: a reference determines the key"
            )
        timeout, max_retries = self._limits(timeout, max_retries)
        options = options._replace(
            transactional=True,
            idempotency_key=(
                None if idempotency_key is None else validate_idempotency_key(idempotency_key)
            ),
            reference=None if reference is None else reference_param(reference),
            timeout=timeout,
            max_retries=max_retries,
            conflict_wait=None if conflict_wait is None else validate_conflict_wait(conflict_wait),
        )
        return self._requester.request(options, cast_to)
