"""``hooks=`` is checked when the client is made: its shape, and plain functions only on the
blocking client (these cases have no async twin, so they are not generated)."""

from __future__ import annotations

from typing import Any

import pytest

import qbank_connect
from qbank_connect import AsyncQBankConnect, CallInfo, QBankConnect, QBankHookAbort


async def _coroutine_hook(info: CallInfo) -> None:
    return None


class _AsyncCallable:
    async def __call__(self, info: CallInfo) -> None:
        return None


def test_the_public_names() -> None:
    assert {"CallInfo", "QBankHookAbort"} <= set(qbank_connect.__all__)
    assert issubclass(QBankHookAbort, qbank_connect.QBankError)
    assert qbank_connect.errors.QBankHookAbort is QBankHookAbort


@pytest.mark.parametrize("hook", [_coroutine_hook, _AsyncCallable()])
def test_the_blocking_client_refuses_async_hooks(hook: Any) -> None:
    with pytest.raises(ValueError, match=r"async function.*blocking client"):
        QBankConnect(token="t", hooks={"request": [hook]})
    client = QBankConnect(token="t")
    with pytest.raises(ValueError, match="async function"):
        client.with_options(hooks={"error": [hook]})
    AsyncQBankConnect(token="t", hooks={"request": [hook]})  # the async client runs both


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ({"before": [print]}, "unknown event 'before'"),
        ({"request": print}, "must be a list"),
        ({"request": "print"}, "must be a list"),
        ({"response": [42]}, "not callable"),
        ([print], "must be a dict"),
    ],
)
def test_the_shape_is_checked(hooks: Any, message: str) -> None:
    for cls in (QBankConnect, AsyncQBankConnect):
        with pytest.raises(ValueError, match=message):
            cls(token="t", hooks=hooks)


def test_no_hooks_cost_nothing() -> None:
    """Empty lists are no hooks at all: the pipeline then builds no per-call hook state."""
    assert QBankConnect(token="t", hooks={"request": [], "error": []})._hooks is None
    assert AsyncQBankConnect(token="t")._hooks is None
