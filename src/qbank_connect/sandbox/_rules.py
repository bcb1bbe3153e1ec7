"""The sandbox bank's fixed rules: the ACH batch schedule and the magic account numbers
that make a payment fail or go slowly (documented in ``docs/sandbox.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

__all__ = [
    "ACH_BATCH_MINUTES",
    "ACH_RETURN_ACCOUNT_NUMBERS",
    "WIRE_FAIL_ACCOUNT_NUMBER",
    "WIRE_SLOW_ACCOUNT_NUMBER",
    "WIRE_SLOW_SECONDS",
    "next_ach_batch",
]

ACH_BATCH_MINUTES = 15

ACH_RETURN_ACCOUNT_NUMBERS: Mapping[str, tuple[str, str]] = {
    "000000000": ("R01", "Insufficient Funds"),
    "000000002": ("R02", "Account Closed"),
    "000000003": ("R03", "No Account/Unable to Locate Account"),
}
"""Recipient account numbers whose ACH payment is returned (``P_FAILED``) at settlement."""

WIRE_FAIL_ACCOUNT_NUMBER = "999999999"
"""A wire to this beneficiary account number fails at once (``P_FAILED``, code ``AC04``)."""

WIRE_SLOW_ACCOUNT_NUMBER = "888888888"
"""A wire to this beneficiary account number answers ``P_PROCESSING`` and completes
``WIRE_SLOW_SECONDS`` later on the sandbox clock."""

WIRE_SLOW_SECONDS = 60


def next_ach_batch(after: datetime, effective: date | None) -> datetime:
    """The first 15-minute batch strictly after ``after``, not before ``effective`` (UTC)."""
    base = after.replace(second=0, microsecond=0)
    boundary = base.replace(minute=0) + timedelta(
        minutes=(base.minute // ACH_BATCH_MINUTES + 1) * ACH_BATCH_MINUTES
    )
    if effective is not None:
        start_of_day = datetime.combine(effective, time(0, 0), tzinfo=timezone.utc)
        boundary = max(boundary, start_of_day)
    return boundary
