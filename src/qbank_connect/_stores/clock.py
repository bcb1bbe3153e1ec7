"""The local clock against QBank's: the skew seen in answers' ``Date`` headers (no I/O).

The payment journal measures ages on its database's clock; this skew shrinks its resend window,
and on SQLite it corrects the host's clock to QBank's (``estimated_now``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

__all__ = ["CLOCK_SKEW", "SKEW_TOLERANCE", "ClockSkew"]

SKEW_TOLERANCE = timedelta(minutes=2)
"""A ``Date`` header further than this from the local clock is logged (once) as clock skew."""

_RESEND_WINDOW = timedelta(hours=23)  # _stores.journal.RESEND_WINDOW (kept import-light here)


class ClockSkew:
    """The local clock's distance from QBank's, from the ``Date`` of each answer.

    ``offset`` is QBank's clock minus ours (seconds, the latest answer's; ``Date`` has
    one-second resolution). A skew beyond :data:`SKEW_TOLERANCE` is logged once, with its
    size; the current one shrinks the resend window (:meth:`window`). One per process
    (``CLOCK_SKEW``): a process talks to one bank's clock at a time."""

    def __init__(self) -> None:
        self.largest = timedelta(0)
        self.offset = 0.0
        self.observed = False
        self._logged = False

    def observe(self, date_header: str | None, local: datetime | None = None) -> None:
        if not date_header:
            return
        try:
            remote = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if remote is None or remote.tzinfo is None:
            return
        skew = remote - (local or datetime.now(timezone.utc))
        # Date drops the fraction of its second: within one second, the clocks agree.
        self.offset = 0.0 if abs(skew) <= timedelta(seconds=1) else skew.total_seconds()
        self.observed = True
        size = abs(skew)
        self.largest = max(self.largest, size)
        if size > SKEW_TOLERANCE and not self._logged:
            self._logged = True
            from .._logging import logger

            logger.warning(
                "clock skew: this host's clock is %.0f s %s QBank's (Date header); the payment "
                "journal resends a pending payment only while its key is younger than %s minus "
                "the skew",
                size.total_seconds(),
                "behind" if skew > timedelta(0) else "ahead of",
                _RESEND_WINDOW,
            )

    def window(self, window: timedelta = _RESEND_WINDOW) -> timedelta:
        """``window`` shrunk by the current skew (beyond one second)."""
        return window - timedelta(seconds=abs(self.offset))

    def estimated_now(self) -> float:
        """QBank's clock as this host sees it (seconds since the epoch)."""
        return time.time() + self.offset


CLOCK_SKEW = ClockSkew()
