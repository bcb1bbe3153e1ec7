"""Deterministic seed data: accounts, a few weeks of transactions and Positive Pay exceptions.

Everything derives from the ``seed`` and the sandbox clock's start date, so two sandboxes built
with the same ``seed`` and ``start`` hold identical data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from ._records import Account, Audit, CheckException, Transaction

__all__ = [
    "ACCOUNT_OPERATING",
    "ACCOUNT_PAYROLL",
    "ACCOUNT_PETTY_CASH",
    "ACCOUNT_RESERVE",
    "SANDBOX_ROUTING_NUMBER",
    "SEED_ACTOR",
    "SeedData",
    "build_seed",
    "seeded_uuid",
]

ACCOUNT_OPERATING = "acc_operating"
ACCOUNT_PAYROLL = "acc_payroll"
ACCOUNT_RESERVE = "acc_reserve"
ACCOUNT_PETTY_CASH = "acc_petty_cash"
"""A small balance (500.00), handy for insufficient-funds tests."""

SANDBOX_ROUTING_NUMBER = "123456780"
"""The sandbox bank's ABA routing number (valid check digit)."""

SEED_ACTOR = "qbank-core"
"""The ``actor`` of records the bank produced itself (seeded history, check exceptions)."""

# id, name, type, full number, available, ledger, seeded transaction count
_ACCOUNTS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    (
        ACCOUNT_OPERATING,
        "Operating Account",
        "checking",
        "483920174821",
        "2481250.00",
        "2500000.00",
        70,
    ),
    (ACCOUNT_PAYROLL, "Payroll Account", "checking", "483920179935", "750000.00", "750000.00", 30),
    (
        ACCOUNT_RESERVE,
        "Reserve Account",
        "money_market",
        "583920170042",
        "10000000.00",
        "10000000.00",
        8,
    ),
    (ACCOUNT_PETTY_CASH, "Petty Cash", "checking", "483920176610", "500.00", "500.00", 4),
)

_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("credit", "ACH CREDIT ACME CORP INV-{n}"),
    ("credit", "WIRE IN GLOBEX LTD REF {n}"),
    ("credit", "CARD SETTLEMENT BATCH {n}"),
    ("debit", "ACH DEBIT UTILITY CO {n}"),
    ("debit", "CHECK {n}"),
    ("debit", "WIRE OUT INITECH REF {n}"),
    ("debit", "ACH DEBIT IRS EFTPS {n}"),
)


def seeded_uuid(rng: random.Random) -> str:
    """A UUID v4 drawn from ``rng`` (deterministic for a given seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class SeedData:
    accounts: dict[str, Account]
    transactions: list[Transaction]
    exceptions: list[CheckException]


def build_seed(seed: int, start: datetime) -> SeedData:
    """Build the seeded world as of ``start`` (the sandbox clock's start)."""
    rng = random.Random(seed)
    today = start.date()
    nightly = datetime.combine(today, time(2, 0), tzinfo=timezone.utc)
    if nightly > start:
        nightly -= timedelta(days=1)
    accounts: dict[str, Account] = {}
    transactions: list[Transaction] = []
    seq = 0
    for acc_id, name, acc_type, number, available, ledger, count in _ACCOUNTS:
        accounts[acc_id] = Account(
            id=acc_id,
            name=name,
            type=acc_type,
            currency="USD",
            status="open",
            number=number,
            routing_number=SANDBOX_ROUTING_NUMBER,
            opened_date=date(2019, 3, 1) + timedelta(days=rng.randrange(900)),
            updated_at=nightly,
            available=Decimal(available),
            ledger=Decimal(ledger),
        )
        # Spread `count` entries over the past weeks: initiated on day d, value date d+1,
        # posted by the nightly sync at 02:00 on day d+1, so the three dates differ.
        for _ in range(count):
            day = today - timedelta(days=rng.randrange(2, 45))
            initiated = datetime.combine(
                day,
                time(rng.randrange(8, 18), rng.randrange(60), rng.randrange(60)),
                tzinfo=timezone.utc,
            ) + timedelta(milliseconds=rng.randrange(1000))
            posted = datetime.combine(day + timedelta(days=1), time(2, 0), tzinfo=timezone.utc)
            posted += timedelta(milliseconds=rng.randrange(60_000))
            direction, template = rng.choice(_DESCRIPTIONS)
            cents = rng.randrange(1_000, 5_000_000)
            seq += 1
            transactions.append(
                Transaction(
                    id=f"txn_{rng.getrandbits(64):016x}",
                    seq=seq,
                    account_id=acc_id,
                    amount=Decimal(cents) / 100,
                    currency="USD",
                    direction=direction,
                    description=template.format(n=rng.randrange(1000, 9999)),
                    reference=f"REF{rng.randrange(10**8):08d}" if rng.random() < 0.7 else None,
                    payment_id=None,
                    transaction_date=initiated,
                    value_date=day + timedelta(days=1),
                    posting_date=posted,
                    audit=Audit(posted, SEED_ACTOR, seeded_uuid(rng)),
                )
            )
    exceptions: list[CheckException] = []
    presented = today - timedelta(days=1)
    deadline = datetime.combine(today + timedelta(days=1), time(15, 0), tzinfo=timezone.utc)
    specs: tuple[tuple[str, str, str, str | None, str | None, str], ...] = (
        (ACCOUNT_OPERATING, "10442", "1250.00", "1200.00", "Jane Smith", "AMOUNT_MISMATCH"),
        (ACCOUNT_OPERATING, "10457", "9800.00", None, None, "NO_ISSUE_RECORD"),
        (ACCOUNT_PAYROLL, "5531", "2310.75", "2310.75", "Carlos Diaz", "STALE_DATED"),
        (ACCOUNT_OPERATING, "10390", "480.00", "480.00", "Initech LLC", "VOIDED"),
    )
    for index, (acc_id, number, amount, issued, payee, reason) in enumerate(specs, start=1):
        exceptions.append(
            CheckException(
                id=f"cex_{rng.getrandbits(48):012x}",
                seq=index,
                account_id=acc_id,
                check_number=number,
                presented_amount=Decimal(amount),
                issued_amount=Decimal(issued) if issued is not None else None,
                payee_name=payee,
                reason=reason,
                presented_date=presented,
                decision_deadline=deadline,
                status="PENDING_DECISION",
                audit=Audit(nightly, SEED_ACTOR, seeded_uuid(rng)),
            )
        )
    return SeedData(accounts=accounts, transactions=transactions, exceptions=exceptions)
