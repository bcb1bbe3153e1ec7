"""A webhook receiver process for the crash test (``test_dedup_crash.py``).

    python -m tests.webhooks.dedup_receiver SPEC.json

It verifies and unwraps each delivery of its plan in order and de-duplicates on the event id:
a first delivery runs the handler, whose effect is one line appended to a shared ledger file,
then ``done``; a duplicate of a handled event is answered 200, one of an event another receiver
holds right now 409 (QBank retries it). Each answer is appended to this run's answers file. The
handler of a chosen event SIGKILLs its own process mid-handler, the first time it runs anywhere
(a marker file created with ``O_EXCL`` says it ran): the claim is left to its lease. ``mode``
picks the blocking ``EventDeduplicator`` or the ``AsyncEventDeduplicator`` (on asyncio)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import timedelta
from typing import Any

from qbank_connect.webhooks import AsyncEventDeduplicator, EventDeduplicator, unwrap

from .webhook_samples import NOW, SECRET, event_body, headers_for


def _append(path: str, line: str) -> None:
    # One write() on an O_APPEND descriptor: whole lines, even from two processes, and in the
    # kernel (kept by a SIGKILL) once write() returned.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode() + b"\n")
    finally:
        os.close(fd)


class Receiver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.kill_every = int(spec["kill_every"])

    def event(self, delivery_id: str, number: int) -> Any:
        body = event_body(f"evt_{number:05d}")
        return unwrap(body, headers_for(body, delivery_id=delivery_id), SECRET, now=NOW)

    def handle(self, event: Any, number: int) -> None:
        _append(self.spec["work"], f"begin {event.id} {os.getpid()}")  # some work first
        if number % self.kill_every == self.kill_every // 2:
            marker = os.path.join(self.spec["markers"], event.id)
            try:
                os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)  # mid-handler: claimed, effect not made
        _append(self.spec["ledger"], event.id)  # the effect

    def answer(self, delivery_id: str, status: int) -> None:
        _append(self.spec["answers"], f"{delivery_id} {status}")


def run_blocking(receiver: Receiver, deliveries: list[list[Any]]) -> None:
    lease = timedelta(seconds=receiver.spec["lease"])
    with EventDeduplicator(store=receiver.spec["store"], lease=lease) as dedup:
        for delivery_id, number in deliveries:
            event = receiver.event(delivery_id, number)
            if dedup.first_time(event):
                receiver.handle(event, number)
                dedup.done(event)
                status = 200
            else:
                status = 200 if dedup.handled(event) else 409
            receiver.answer(delivery_id, status)


async def run_async(receiver: Receiver, deliveries: list[list[Any]]) -> None:
    lease = timedelta(seconds=receiver.spec["lease"])
    async with AsyncEventDeduplicator(store=receiver.spec["store"], lease=lease) as dedup:
        for delivery_id, number in deliveries:
            event = receiver.event(delivery_id, number)
            if await dedup.first_time(event):
                receiver.handle(event, number)
                await dedup.done(event)
                status = 200
            else:
                status = 200 if await dedup.handled(event) else 409
            receiver.answer(delivery_id, status)


def main() -> None:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    receiver = Receiver(spec)
    if spec["mode"] == "async":
        asyncio.run(run_async(receiver, spec["deliveries"]))
    else:
        run_blocking(receiver, spec["deliveries"])


if __name__ == "__main__":
    main()
