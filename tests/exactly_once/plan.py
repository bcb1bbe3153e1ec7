"""The instructions of the crash test: reference i is one ACH payment, wire or transfer, whose
body depends on i alone (a restarted worker sends the very same body)."""

from __future__ import annotations

from typing import Any

from qbank_connect.sandbox import ACCOUNT_OPERATING, ACCOUNT_PAYROLL

KINDS = ("ach", "wire", "transfer")
OPERATIONS = {"ach": "createAchPayment", "wire": "createWirePayment", "transfer": "createTransfer"}


def kind(index: int) -> str:
    return KINDS[index % 3]


def reference(index: int) -> str:
    return f"crash-test:{index:05d}"


def body(index: int) -> dict[str, Any]:
    amount = f"{1 + index % 40}.{index % 100:02d}"  # small: funds never run out
    if kind(index) == "ach":
        return {
            "source_account_id": ACCOUNT_OPERATING,
            "recipient_details": {
                "name": "Acme Supplies",
                "routing_number": "021000021",
                "account_number": f"{100000000 + index}",
                "account_type": "checking",
            },
            "amount": amount,
            "effective_date": "2026-11-23",
            "memo": f"crash {index}",
        }
    if kind(index) == "wire":
        return {
            "source_account_id": ACCOUNT_OPERATING,
            "amount": amount,
            "currency": "USD",
            "beneficiary": {
                "name": "Globex GmbH",
                "account_number": "DE89370400440532013000",
                "bic": "COBADEFFXXX",
            },
        }
    source, destination = (
        (ACCOUNT_OPERATING, ACCOUNT_PAYROLL) if index % 2 else (ACCOUNT_PAYROLL, ACCOUNT_OPERATING)
    )
    return {
        "source_account_id": source,
        "destination_account_id": destination,
        "amount": amount,
        "memo": f"crash {index}",
    }


def shard(worker: int, workers: int, count: int) -> list[int]:
    """The references worker ``worker`` pays: its own share, then its neighbour's in reverse,
    so every reference is paid by two processes, at different moments (and sometimes at once)."""
    own = [i for i in range(count) if i % workers == worker]
    if workers == 1:
        return own
    neighbour = [i for i in range(count) if i % workers == (worker + 1) % workers]
    return own + neighbour[::-1]
