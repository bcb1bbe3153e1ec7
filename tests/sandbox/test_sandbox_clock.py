"""The sandbox clock: real time by default, frozen at a fixed start, forward-only."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from qbank_connect.sandbox import Sandbox
from qbank_connect.sandbox._clock import format_datetime

from ._helpers import START, ach_body, get_token, new_key


def test_default_clock_follows_real_utc_time() -> None:
    with Sandbox() as sandbox:
        now = sandbox.now()
        assert now.tzinfo is not None
        assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=2)
        time.sleep(0.02)
        assert sandbox.now() > now


def test_fixed_start_is_frozen_until_advanced(sandbox: Sandbox) -> None:
    assert sandbox.now() == START
    time.sleep(0.02)
    assert sandbox.now() == START
    assert sandbox.advance(minutes=15) == START + timedelta(minutes=15)
    with pytest.raises(ValueError):
        sandbox.advance(seconds=-1)


def test_format_is_rfc3339_utc_milliseconds() -> None:
    moment = datetime(2026, 11, 21, 10, 15, 30, 123456, tzinfo=timezone.utc)
    assert format_datetime(moment) == "2026-11-21T10:15:30.123Z"


def test_ticking_clock_settles_without_advance() -> None:
    start = datetime(2026, 11, 21, 10, 14, 59, 600000, tzinfo=timezone.utc)
    with Sandbox(start=start, ticking=True) as sandbox, sandbox.http_client() as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        payment = http.post(
            "/payments/ach",
            json=ach_body(effective_date="2026-11-21"),
            headers={"Idempotency-Key": new_key()},
        ).json()
        time.sleep(0.45)  # real time crosses the 10:15 batch
        assert http.get(f"/payments/{payment['id']}").json()["status"] == "P_COMPLETED"
