"""Fault injection: failed calls, latency, "commit then drop" and seeded random chaos.

Errors are answered before anything executes (so idempotency keys are not consumed); latency
is spent just before execution (after the idempotency key is claimed, so a concurrent retry
sees 409); a drop executes the request and then sends no response at all.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ._operations import TRANSACTIONAL_OPERATIONS

__all__ = [
    "CHAOS_KINDS",
    "ERROR_KINDS",
    "FaultDecision",
    "Faults",
]

ERROR_KINDS: tuple[str, ...] = ("500", "502", "503", "504", "429")
CHAOS_KINDS: tuple[str, ...] = (*ERROR_KINDS, "latency", "drop")


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request: an error status, a delay, and/or a dropped answer."""

    status: int | None = None
    retry_after: int | None = None
    latency: float = 0.0
    drop: bool = False


NO_FAULT = FaultDecision()


@dataclass
class _Rule:
    kind: str  # "error", "latency" or "drop"
    operation: str
    remaining: int | None  # None: until cleared
    status: int = 0
    retry_after: int | None = None
    seconds: float = 0.0

    def matches(self, operation: str) -> bool:
        return (self.operation in ("*", operation)) and (
            self.remaining is None or self.remaining > 0
        )

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class _Chaos:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    latency: float
    operations: frozenset[str]
    retry_after: int


class Faults:
    """The sandbox's fault injector (``sandbox.faults``).

    Example::

        sandbox.faults.fail_next("createAchPayment", times=2, status=503, retry_after=0)
        sandbox.faults.add_latency("createWirePayment", seconds=0.5)
        sandbox.faults.drop_after_commit("createTransfer")
        sandbox.faults.chaos(rate=0.3, seed=7)
        sandbox.faults.injected  # {"503": 2, "latency": 1, ...}
        sandbox.faults.clear()
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._chaos: _Chaos | None = None
        self._injected: Counter[str] = Counter()

    def fail_next(
        self, operation: str = "*", *, times: int = 1, status: int = 503, retry_after: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` (an operationId, or ``"*"``) with
        ``status`` (500, 502, 503, 504 or 429; 429 and 503 carry ``Retry-After: retry_after``)."""
        if str(status) not in ERROR_KINDS:
            raise ValueError(f"status must be one of {', '.join(ERROR_KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(
                _Rule("error", operation, times, status=status, retry_after=retry_after)
            )

    def add_latency(
        self, operation: str = "*", *, seconds: float, times: int | None = None
    ) -> None:
        """Delay ``operation`` by ``seconds`` before it executes, for the next ``times`` calls
        (``None``: until :meth:`clear`). A client whose read timeout is shorter gets
        ``httpx2.ReadTimeout`` while the sandbox still completes the work."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._rules.append(_Rule("latency", operation, times, seconds=seconds))

    def drop_after_commit(self, operation: str = "*", *, times: int = 1) -> None:
        """Execute the next ``times`` calls of ``operation``, then close the connection without
        answering (in process: ``httpx2.RemoteProtocolError``)."""
        with self._lock:
            self._rules.append(_Rule("drop", operation, times))

    def chaos(
        self,
        rate: float = 0.3,
        kinds: Iterable[str] = CHAOS_KINDS,
        seed: int = 0,
        *,
        latency: float = 0.05,
        operations: Iterable[str] = TRANSACTIONAL_OPERATIONS,
        retry_after: int = 0,
    ) -> None:
        """Inject a random fault, drawn from ``kinds`` ("500", "502", "503", "504", "429",
        "latency", "drop"), into a ``rate`` fraction of the calls of ``operations`` that no
        explicit rule caught. Seeded: the same calls in the same order get the same faults."""
        chosen = tuple(kinds)
        unknown = set(chosen) - set(CHAOS_KINDS)
        if unknown or not chosen:
            raise ValueError(f"kinds must be a non-empty subset of {CHAOS_KINDS}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within 0..1")
        with self._lock:
            self._chaos = _Chaos(
                rate, chosen, random.Random(seed), latency, frozenset(operations), retry_after
            )

    def stop_chaos(self) -> None:
        """Turn chaos mode off (explicit rules stay)."""
        with self._lock:
            self._chaos = None

    def clear(self) -> None:
        """Remove every rule and chaos mode (the ``injected`` counts stay)."""
        with self._lock:
            self._rules.clear()
            self._chaos = None

    @property
    def injected(self) -> dict[str, int]:
        """How many faults were injected, by kind: "500", ..., "429", "latency", "drop"."""
        with self._lock:
            return dict(self._injected)

    def decide(self, operation: str) -> FaultDecision:
        """Draw the faults for one call of ``operation`` (used by the transports)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == "error" and rule.matches(operation):
                    rule.consume()
                    self._injected[str(rule.status)] += 1
                    return FaultDecision(status=rule.status, retry_after=rule.retry_after)
            latency = 0.0
            drop = False
            for rule in self._rules:
                if rule.kind == "latency" and rule.matches(operation) and not latency:
                    rule.consume()
                    latency = rule.seconds
                    self._injected["latency"] += 1
                elif rule.kind == "drop" and rule.matches(operation) and not drop:
                    rule.consume()
                    drop = True
                    self._injected["drop"] += 1
            self._rules = [r for r in self._rules if r.remaining is None or r.remaining > 0]
            if latency or drop:
                return FaultDecision(latency=latency, drop=drop)
            chaos = self._chaos
            if chaos is None or operation not in chaos.operations:
                return NO_FAULT
            if chaos.rng.random() >= chaos.rate:
                return NO_FAULT
            kind = chaos.rng.choice(chaos.kinds)
            self._injected[kind] += 1
            if kind == "latency":
                return FaultDecision(latency=chaos.latency)
            if kind == "drop":
                return FaultDecision(drop=True)
            return FaultDecision(status=int(kind), retry_after=chaos.retry_after)
