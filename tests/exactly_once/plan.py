"""The instructions of the crash test: reference i is one ACH payment, wire or transfer, whose
body depends on i alone (a restarted worker sends the very same body)."""

from __future__ import annotations

from typing import Any

from ..chaos import payment_body

KINDS = ("ach", "wire", "transfer")
OPERATIONS = {"ach": "createAchPayment", "wire": "createWirePayment", "transfer": "createTransfer"}


def kind(index: int) -> str:
    return KINDS[index % 3]


def reference(index: int) -> str:
    return f"crash-test:{index:05d}"


def body(index: int) -> dict[str, Any]:
    amount = f"{1 + index % 40}.{index % 100:02d}"  # small: funds never run out
    return payment_body(kind(index), index, amount, memo=f"crash {index}")


def shard(worker: int, workers: int, count: int) -> list[int]:
    """The references worker ``worker`` pays: its own share, then its neighbour's in reverse,
    so every reference is paid by two processes, at different moments (and sometimes at once)."""
    own = [i for i in range(count) if i % workers == worker]
    if workers == 1:
        return own
    neighbour = [i for i in range(count) if i % workers == (worker + 1) % workers]
    return own + neighbour[::-1]
