"""The sandbox clock: real UTC time by default, frozen at a fixed start when asked, and
movable forward with :meth:`Clock.advance` so tests can run ACH batches and expire tokens."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta, timezone

__all__ = ["Clock", "format_date", "format_datetime", "parse_date"]

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _truncate_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


class Clock:
    """A UTC clock that can be frozen and moved forward.

    Example::

        clock = Clock(start=datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc))
        clock.advance(timedelta(minutes=15))
        assert clock.now().minute == 15
    """

    def __init__(self, start: datetime | None = None, *, ticking: bool | None = None) -> None:
        fixed = start is not None
        if start is None:
            start = datetime.now(timezone.utc)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        self._start = start.astimezone(timezone.utc)
        # A clock started at a fixed moment is frozen (deterministic) unless told otherwise.
        self._ticking = ticking if ticking is not None else not fixed
        self._mono0 = time.monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    @property
    def ticking(self) -> bool:
        """True when the clock follows real time (plus any advances)."""
        return self._ticking

    def now(self) -> datetime:
        """The current sandbox time, UTC, truncated to milliseconds."""
        with self._lock:
            moment = self._start + self._offset
            if self._ticking:
                moment += timedelta(seconds=time.monotonic() - self._mono0)
        return _truncate_ms(moment)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()


def format_datetime(moment: datetime) -> str:
    """RFC 3339, UTC, millisecond precision: ``2026-11-21T10:15:30.123Z``."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_date(day: date) -> str:
    """``YYYY-MM-DD``."""
    return day.isoformat()


def parse_date(text: str) -> date | None:
    """Parse a strict ``YYYY-MM-DD`` date, or return None."""
    if not _DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
