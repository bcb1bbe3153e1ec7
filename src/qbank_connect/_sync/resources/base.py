# Generated from src/qbank_connect/_async/resources/base.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""What every resource shares: the client's pipeline and its per-call defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import httpx2
import pydantic

from ..._config import resolve_timeout, validate_conflict_wait, validate_max_retries
from ..._extras import with_extras
from ..._hooks import Hooks
from ..._idempotency import validate_idempotency_key
from ..._operations import Operation
from ..._options import RequestOptions
from ..._upload import AchUpload
from ..._validation import reference_param
from ...models.pages import ListEnvelope
from ..pagination import Page
from ..requester import Requester

__all__ = ["Resource"]

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")


class Resource:
    """A group of operations (``client.payments``, ``client.balances``, ...)."""

    def __init__(
        self,
        requester: Requester,
        *,
        timeout: httpx2.Timeout,
        max_retries: int,
        hooks: Hooks | None = None,
    ) -> None:
        self._requester = requester
        self._timeout = timeout
        self._max_retries = max_retries
        self._hooks = hooks

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
        operation: Operation,
        cast_to: type[M],
        *,
        path: str,
        extra_headers: object,
        extra_query: object,
        extra_body: object,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
    ) -> M:
        """A GET of one resource; ``path`` is the operation's, its ids filled in."""
        timeout, max_retries = self._limits(timeout, max_retries)
        options = RequestOptions(
            "GET",
            path,
            operation.operation_id,
            operation.path,
            timeout=timeout,
            max_retries=max_retries,
            hooks=self._hooks,
        )
        if extra_headers is not None or extra_query is not None or extra_body is not None:
            options = with_extras(options, operation, extra_headers, extra_query, extra_body)
        return self._requester.request(options, cast_to)

    def _list(
        self,
        operation: Operation,
        cast_to: type[ListEnvelope[T]],
        *,
        params: Mapping[str, str] | None,
        extra_headers: object,
        extra_query: object,
        extra_body: object,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
    ) -> Page[T]:
        """A list call: its pages fetch the next one with the same filters and the new cursor."""
        timeout, max_retries = self._limits(timeout, max_retries)
        options = RequestOptions(
            "GET",
            operation.path,
            operation.operation_id,
            operation.path,
            params=params,
            timeout=timeout,
            max_retries=max_retries,
            hooks=self._hooks,
        )
        if extra_headers is not None or extra_query is not None or extra_body is not None:
            options = with_extras(options, operation, extra_headers, extra_query, extra_body)
        return self._requester.request_page(options, cast_to)

    def _transact(
        self,
        operation: Operation,
        cast_to: type[M],
        *,
        json_body: bytes | None = None,
        upload: AchUpload | None = None,
        upload_fields: Mapping[str, str] | None = None,
        idempotency_key: object,
        reference: object,
        extra_headers: object,
        extra_query: object,
        extra_body: object,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
        conflict_wait: float | None = None,
    ) -> M:
        """A transactional POST: it carries an Idempotency-Key, reused by every retry.

        The key is the caller's ``idempotency_key``, or derived from ``reference``, or new.
        ``upload`` and ``upload_fields`` make a multipart body instead of ``json_body``."""
        if idempotency_key is not None and reference is not None:
            raise ValueError(
                "pass idempotency_key or reference, not both: a reference determines the key"
            )
        timeout, max_retries = self._limits(timeout, max_retries)
        options = RequestOptions(
            operation.method,
            operation.path,
            operation.operation_id,
            operation.path,
            json_body=json_body,
            upload=upload,
            upload_fields=upload_fields,
            transactional=True,
            idempotency_key=(
                None if idempotency_key is None else validate_idempotency_key(idempotency_key)
            ),
            reference=None if reference is None else reference_param(reference),
            timeout=timeout,
            max_retries=max_retries,
            hooks=self._hooks,
            conflict_wait=None if conflict_wait is None else validate_conflict_wait(conflict_wait),
        )
        if extra_headers is not None or extra_query is not None or extra_body is not None:
            options = with_extras(options, operation, extra_headers, extra_query, extra_body)
        return self._requester.request(options, cast_to)
