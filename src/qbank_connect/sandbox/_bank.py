"""The bank's business logic: balances, payments, ACH batches, transfers and Positive Pay.

Not thread-safe by itself: the sandbox calls it with its lock held.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ._nacha import NachaEntry
from ._records import (
    Account,
    AchFile,
    CheckException,
    CheckIssue,
    Origin,
    Payment,
    Transaction,
    counterparty,
)
from ._rules import (
    ACH_RETURN_ACCOUNT_NUMBERS,
    WIRE_FAIL_ACCOUNT_NUMBER,
    WIRE_SLOW_ACCOUNT_NUMBER,
    WIRE_SLOW_SECONDS,
    next_ach_batch,
)
from ._seed import build_seed, seeded_uuid

__all__ = ["Bank", "InsufficientFunds"]


@dataclass(frozen=True)
class InsufficientFunds:
    """A business refusal: the source account cannot cover the payment."""

    account_id: str
    available: Decimal
    requested: Decimal


def _amount(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


class Bank:
    """State and business operations of the sandbox bank."""

    def __init__(
        self, seed: int | None, start: datetime, on_final: Callable[[Payment], None]
    ) -> None:
        data = build_seed(seed or 0, start)
        self.accounts: dict[str, Account] = data.accounts
        self.transactions: list[Transaction] = data.transactions
        self.exceptions: list[CheckException] = data.exceptions
        self.payments: dict[str, Payment] = {}
        self.files: dict[str, AchFile] = {}
        self.issues: dict[str, CheckIssue] = {}
        self._open: dict[str, Payment] = {}  # payments that will move on by themselves
        # Ids of what clients create: drawn from the seed when one is given on purpose, else
        # from the OS (a payment id of one sandbox is never found in the next one by chance).
        self._rng = random.Random(f"ids-{seed}") if seed is not None else random.Random()
        self._seq = itertools.count(len(self.transactions) + 1)
        self._on_final = on_final

    # ids -------------------------------------------------------------------------------
    def new_uuid(self) -> str:
        return seeded_uuid(self._rng)

    def _txn_id(self) -> str:
        return f"txn_{self._rng.getrandbits(64):016x}"

    # postings ----------------------------------------------------------------------------
    def _post(
        self,
        account: Account,
        amount: Decimal,
        direction: str,
        description: str,
        payment: Payment,
        at: datetime,
        value_date: date | None = None,
    ) -> None:
        self.transactions.append(
            Transaction(
                id=self._txn_id(),
                seq=next(self._seq),
                account_id=account.id,
                amount=amount,
                currency=account.currency,
                direction=direction,
                description=description[:140],
                reference=payment.memo,
                payment_id=payment.id,
                transaction_date=payment.created_at,
                value_date=value_date or at.date(),
                posting_date=at,
                audit=payment.audit,
            )
        )

    def _finalize(self, payment: Payment) -> None:
        self._open.pop(payment.id, None)
        self._on_final(payment)

    # payments ----------------------------------------------------------------------------
    def _new_payment(
        self,
        origin: Origin,
        payment_id: str,
        kind: str,
        source: Account,
        amount: Decimal,
        counterparty: dict[str, str | None],
        *,
        status: str,
        reason: str,
        direction: str = "credit",
        currency: str | None = None,
        effective_date: date | None = None,
        memo: str | None = None,
    ) -> Payment:
        now = origin.audit.timestamp
        payment = Payment(
            id=payment_id,
            seq=next(self._seq),
            client_id=origin.client_id,
            idempotency_key=origin.idempotency_key,
            type=kind,
            direction=direction,
            status=status,
            amount=amount,
            currency=currency or source.currency,
            source_account_id=source.id,
            counterparty=counterparty,
            created_at=now,
            audit=origin.audit,
            effective_date=effective_date or now.date(),
            memo=memo,
        )
        payment.set_status(status, now, reason)
        self.payments[payment.id] = payment
        return payment

    # ACH ---------------------------------------------------------------------------------
    def _new_ach(
        self,
        origin: Origin,
        payment_id: str,
        source: Account,
        *,
        amount: Decimal,
        direction: str,
        name: str,
        routing: str,
        account_number: str,
        effective: date | None,
        memo: str | None = None,
    ) -> Payment:
        payment = self._new_payment(
            origin,
            payment_id,
            "ach",
            source,
            amount,
            counterparty(name, account_number, routing_number=routing),
            status="P_PENDING",
            reason="Accepted; waiting for the next ACH batch",
            direction=direction,
            effective_date=effective,
            memo=memo,
        )
        payment.settle_at = next_ach_batch(origin.audit.timestamp, effective)
        payment.planned_failure = ACH_RETURN_ACCOUNT_NUMBERS.get(account_number)
        if direction == "credit":
            source.available -= amount  # funds are held at submission
        self._open[payment.id] = payment
        return payment

    def create_ach(self, origin: Origin, body: Mapping[str, Any]) -> Payment | InsufficientFunds:
        source = self.accounts[body["source_account_id"]]
        amount = _amount(body["amount"])
        direction = body.get("direction", "credit")
        if direction == "credit" and amount > source.available:
            return InsufficientFunds(source.id, source.available, amount)
        recipient = body["recipient_details"]
        return self._new_ach(
            origin,
            origin.id,
            source,
            amount=amount,
            direction=direction,
            name=recipient["name"],
            routing=recipient["routing_number"],
            account_number=recipient["account_number"],
            effective=date.fromisoformat(body["effective_date"]),
            memo=body.get("memo"),
        )

    def create_ach_file(
        self, origin: Origin, source_id: str, file_name: str | None, entries: list[NachaEntry]
    ) -> AchFile | InsufficientFunds:
        source = self.accounts[source_id]
        credit = sum((e.amount for e in entries if e.direction == "credit"), Decimal("0.00"))
        debit = sum((e.amount for e in entries if e.direction == "debit"), Decimal("0.00"))
        if credit > source.available:
            return InsufficientFunds(source.id, source.available, credit)
        ach_file = AchFile(
            id=origin.id,
            client_id=origin.client_id,
            file_name=file_name,
            status="VALIDATED",
            total_credit=credit,
            total_debit=debit,
            payment_ids=[],
            received_at=origin.audit.timestamp,
            audit=origin.audit,
        )
        for entry in entries:
            payment = self._new_ach(
                origin,
                self.new_uuid(),
                source,
                amount=entry.amount,
                direction=entry.direction,
                name=entry.name,
                routing=entry.routing_number,
                account_number=entry.account_number,
                effective=entry.effective_date,
            )
            payment.ach_file_id = ach_file.id
            ach_file.payment_ids.append(payment.id)
        self.files[ach_file.id] = ach_file
        return ach_file

    def _settle_ach(self, payment: Payment, at: datetime) -> None:
        source = self.accounts[payment.source_account_id]
        payment.set_status("P_PROCESSING", at, f"Sent in the {at:%H:%M} UTC ACH batch")
        if payment.planned_failure is not None:
            code, reason = payment.planned_failure
            payment.failure_code, payment.failure_reason = code, reason
            payment.set_status("P_FAILED", at, f"ACH return {code}: {reason}")
            if payment.direction == "credit":
                source.available += payment.amount  # the hold is released
        else:
            name = payment.counterparty.get("name") or ""
            if payment.direction == "credit":
                source.ledger -= payment.amount
                self._post(source, payment.amount, "debit", f"ACH CREDIT TO {name}", payment, at)
            else:
                source.available += payment.amount
                source.ledger += payment.amount
                self._post(source, payment.amount, "credit", f"ACH DEBIT FROM {name}", payment, at)
            payment.set_status("P_COMPLETED", at, "Settled")
        self._finalize(payment)

    # Wires -------------------------------------------------------------------------------
    def create_wire(self, origin: Origin, body: Mapping[str, Any]) -> Payment | InsufficientFunds:
        source = self.accounts[body["source_account_id"]]
        amount = _amount(body["amount"])
        if amount > source.available:
            return InsufficientFunds(source.id, source.available, amount)
        now = origin.audit.timestamp
        beneficiary = body["beneficiary"]
        account_number = beneficiary["account_number"]
        payment = self._new_payment(
            origin,
            origin.id,
            "wire",
            source,
            amount,
            counterparty(
                beneficiary["name"],
                account_number,
                routing_number=beneficiary.get("routing_number"),
                bic=beneficiary.get("bic"),
            ),
            status="P_PROCESSING",
            reason="Released to the wire network",
            currency=body.get("currency"),
            memo=body.get("purpose"),
        )
        if account_number == WIRE_FAIL_ACCOUNT_NUMBER:
            payment.failure_code = "AC04"
            payment.failure_reason = "Beneficiary account closed"
            payment.set_status("P_FAILED", now, "Rejected by the beneficiary bank: AC04")
            self._finalize(payment)
        elif account_number == WIRE_SLOW_ACCOUNT_NUMBER:
            source.available -= amount
            payment.settle_at = now + timedelta(seconds=WIRE_SLOW_SECONDS)
            self._open[payment.id] = payment
        else:
            source.available -= amount
            self._complete_wire(payment, now)
        return payment

    def _complete_wire(self, payment: Payment, at: datetime) -> None:
        source = self.accounts[payment.source_account_id]
        source.ledger -= payment.amount
        self._post(
            source, payment.amount, "debit", f"WIRE OUT {payment.counterparty['name']}", payment, at
        )
        payment.set_status("P_COMPLETED", at, "Confirmed by the beneficiary bank")
        self._finalize(payment)

    # Transfers ---------------------------------------------------------------------------
    def create_transfer(
        self, origin: Origin, body: Mapping[str, Any]
    ) -> Payment | InsufficientFunds:
        source = self.accounts[body["source_account_id"]]
        destination = self.accounts[body["destination_account_id"]]
        amount = _amount(body["amount"])
        if amount > source.available:
            return InsufficientFunds(source.id, source.available, amount)
        now = origin.audit.timestamp
        payment = self._new_payment(
            origin,
            origin.id,
            "transfer",
            source,
            amount,
            counterparty(
                destination.name,
                destination.number,
                account_id=destination.id,
                routing_number=destination.routing_number,
            ),
            status="P_PROCESSING",
            reason="Book transfer",
            memo=body.get("memo"),
        )
        payment.destination_account_id = destination.id
        source.available -= amount
        source.ledger -= amount
        destination.available += amount
        destination.ledger += amount
        self._post(source, amount, "debit", f"TRANSFER TO {destination.id}", payment, now)
        self._post(destination, amount, "credit", f"TRANSFER FROM {source.id}", payment, now)
        payment.set_status("P_COMPLETED", now, "Booked")
        self._finalize(payment)
        return payment

    # Positive Pay ------------------------------------------------------------------------
    def create_check_issue(self, origin: Origin, body: Mapping[str, Any]) -> CheckIssue:
        issue = CheckIssue(
            id=origin.id,
            client_id=origin.client_id,
            account_id=body["account_id"],
            check_number=body["check_number"],
            amount=_amount(body["amount"]),
            issue_date=date.fromisoformat(body["issue_date"]),
            payee_name=body["payee_name"],
            void=bool(body.get("void", False)),
            status="RECEIVED",
            audit=origin.audit,
        )
        self.issues[issue.id] = issue
        if not issue.void:
            # A late issue record clears a matching "no issue record" exception.
            for exc in self.exceptions:
                if (
                    exc.status == "PENDING_DECISION"
                    and exc.reason == "NO_ISSUE_RECORD"
                    and exc.account_id == issue.account_id
                    and exc.check_number == issue.check_number
                    and exc.presented_amount == issue.amount
                ):
                    exc.status = "RESOLVED"
        return issue

    # Clock -------------------------------------------------------------------------------
    def settle_due(self, now: datetime) -> int:
        """Run every ACH batch and slow wire due by ``now``; returns how many settled."""
        due = sorted(
            (p for p in self._open.values() if p.settle_at is not None and p.settle_at <= now),
            key=lambda p: (p.settle_at, p.seq),
        )
        for payment in due:
            assert payment.settle_at is not None
            if payment.type == "ach":
                self._settle_ach(payment, payment.settle_at)
            else:
                self._complete_wire(payment, payment.settle_at)
        return len(due)
