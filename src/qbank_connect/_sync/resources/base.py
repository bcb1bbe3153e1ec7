# Generated from src/qbank_connect/_async/resources/base.py by scripts/unasync.py: do not edit.
# Change the async source and run `python scripts/unasync.py`.
"""What every resource shares: the client's pipeline and its per-call options."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx2

from ..._config import resolve_timeout, validate_max_retries
from ..._upload import AchUpload
from ...models import RequestModel
from ..pagination import Page

if TYPE_CHECKING:
    from ..client import QBankConnect

__all__ = ["Resource"]


class Resource:
    """A group of operations (``client.payments``, ``client.balances``, ...)."""

    def __init__(self, client: QBankConnect, *, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def _call(
        self,
        method: str,
        path: str,
        *,
        model: type[Any],
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
        wrap: Callable[[Any], Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: bytes | None = None,
        upload: AchUpload | None = None,
        upload_fields: Mapping[str, str] | None = None,
        transactional: bool = False,
        idempotency_key: str | None = None,
        raw: bool | None = None,
    ) -> Any:
        client = self._client
        return client._requester.request(
            method,
            path,
            model=model,
            wrap=wrap,
            timeout=client.timeout if timeout is None else resolve_timeout(timeout),
            max_retries=(
                client.max_retries if max_retries is None else validate_max_retries(max_retries)
            ),
            params=params,
            json_body=json_body,
            upload=upload,
            upload_fields=upload_fields,
            transactional=transactional,
            idempotency_key=idempotency_key,
            raw=self._raw if raw is None else raw,
        )

    def _transact(
        self,
        path: str,
        body: RequestModel,
        *,
        model: type[Any],
        idempotency_key: str | None,
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
    ) -> Any:
        """A transactional POST of a JSON body: it carries an Idempotency-Key, reused by retries."""
        return self._call(
            "POST",
            path,
            model=model,
            json_body=body.to_wire(),
            transactional=True,
            idempotency_key=idempotency_key,
            timeout=timeout,
            max_retries=max_retries,
        )

    def _list(
        self,
        path: str,
        *,
        model: type[Any],
        params: dict[str, Any],
        timeout: float | httpx2.Timeout | None,
        max_retries: int | None,
        raw: bool | None = None,
    ) -> Any:
        """A list call whose pages fetch the next one with the same filters and the new cursor."""

        def fetch(cursor: str) -> Page[Any]:
            page: Page[Any] = self._list(
                path,
                model=model,
                params={**params, "cursor": cursor},
                timeout=timeout,
                max_retries=max_retries,
                raw=False,  # following pages are always parsed, even from with_raw_response
            )
            return page

        def wrap(envelope: Any) -> Page[Any]:
            return Page(envelope.data, envelope.next_cursor, fetch)

        return self._call(
            "GET",
            path,
            model=model,
            wrap=wrap,
            params=params or None,
            timeout=timeout,
            max_retries=max_retries,
            raw=raw,
        )
