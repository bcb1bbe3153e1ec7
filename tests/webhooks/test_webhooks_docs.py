"""docs/webhooks.md's several-workers example runs as written: two deduplicators on one store
(two workers), one event delivered three times (each with a new Webhook-Event-ID): handled once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qbank_connect import QBankConnect
from qbank_connect.webhooks import signed_headers

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "webhooks.md").read_text()
SECRET = "whsec_docs_test"
BODY = (ROOT / "tests" / "cli" / "event.json").read_bytes()


def store_example() -> str:
    section = DOC[DOC.index("### Several workers or servers") :]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ")[0], flags=re.DOTALL)
    return code


def worker(client: QBankConnect, handled: list[str]) -> dict[str, Any]:
    """One worker: the page's code in its own namespace, with its own deduplicator."""
    namespace: dict[str, Any] = {"client": client, "handle": lambda e: handled.append(e.id)}
    exec(compile(store_example(), "docs/webhooks.md", "exec"), namespace)
    return namespace


def test_two_workers_on_one_store_handle_a_redelivered_event_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 'EventDeduplicator(store="sqlite:///' in store_example()
    monkeypatch.chdir(tmp_path)
    handled: list[str] = []
    with QBankConnect("id", "secret", webhook_secret=SECRET) as client:
        workers = [worker(client, handled), worker(client, handled)]
        try:
            deliver: list[Callable[[bytes, dict[str, str]], int]] = [
                w["handle_delivery"] for w in workers
            ]
            answers = [deliver[n % 2](BODY, signed_headers(BODY, SECRET)) for n in range(3)]
        finally:
            for w in workers:
                w["dedup"].close()
    assert answers == [200, 200, 200]
    assert len(handled) == 1
    assert (tmp_path / "webhook-events.db").is_file()
