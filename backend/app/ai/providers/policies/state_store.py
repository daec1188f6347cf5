"""Where circuit state lives: in this process, or in Redis shared by every worker.

Why two stores: a single worker learns on its own that a provider is down, but with
several workers (and replicas) each one would pay for the same failure burst again.
With `AI_STATE_REDIS_URL` set, one worker's burst opens the circuit for all of them.

This module holds the store protocol, the in-process store and the cooldown rule both
stores apply; the Redis store and its in-process fallback are in `redis_store.py`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

#: Outcomes of `admit`.
CLOSED, OPEN, PROBE, HALF_OPEN_BUSY = "closed", "open", "probe", "half_open_busy"
#: Seconds the tripped marker outlives a cooldown (a circuit nobody probes stays half-open).
TRIPPED_TTL_SECONDS = 86_400.0
#: Buckets of the sliding window.
WINDOW_BUCKETS = 10


@dataclass(frozen=True, slots=True)
class CircuitPolicy:
    """The thresholds a store applies (from the `AI_CIRCUIT_*` settings)."""

    window_seconds: float = 30.0
    min_failures: int = 5
    failure_ratio: float = 0.5
    half_open_probes: int = 1
    probe_ttl_seconds: float = 60.0
    """A probe that never reports (its call was cancelled) frees its slot after this."""


@dataclass(frozen=True, slots=True)
class Admission:
    """The store's answer to "may this provider be called now?"."""

    state: str
    open_until: float | None = None  # epoch seconds
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished attempt, as the circuit sees it."""

    ok: bool
    trip_now: bool = False
    """Open at once (provider-fatal), whatever the window says."""
    cooldown: float = 10.0
    reason: str = ""
    escalate: bool = False  # a failed probe doubles the last cooldown (not retry-after/fatal)
    max_cooldown: float = 120.0


@dataclass(frozen=True, slots=True)
class CircuitView:
    """Snapshot of one provider's circuit for status pages."""

    state: str
    open_until: float | None
    reason: str | None
    failures: int
    calls: int


class StateStore(Protocol):
    """Circuit state for every provider; see the module docstring."""

    @property
    def backend(self) -> str:
        """"redis" or "memory": where the state is served from right now."""

    def admit(self, provider: str, policy: CircuitPolicy) -> Admission: ...

    def record(self, provider: str, outcome: Outcome, policy: CircuitPolicy) -> str: ...

    def release_probe(self, provider: str) -> None:
        """Give back one half-open probe slot whose call ended without a verdict."""

    def view(self, provider: str, policy: CircuitPolicy) -> CircuitView: ...

    def reset(self, provider: str) -> None: ...


# -- in-process ---------------------------------------------------------------


@dataclass(slots=True)
class _Circuit:
    open_until: float | None = None
    reason: str | None = None
    tripped: bool = False
    probes: int = 0
    probes_expire: float = 0.0
    buckets: dict[int, list[int]] | None = None  # bucket -> [failures, calls]
    schedule: float = 0.0  # seconds from `opened_at` to the last half-open; doubled by a failed probe
    opened_at: float = 0.0  # when this run of re-opens began


class MemoryStore:
    """Thread-safe in-process state: the default, and the fallback when Redis is down."""

    backend = "memory"

    def __init__(self) -> None:
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def admit(self, provider: str, policy: CircuitPolicy) -> Admission:
        now = time.time()
        with self._lock:
            circuit = self._circuits.get(provider)
            if circuit is None or not circuit.tripped:
                return Admission(CLOSED)
            if circuit.open_until is not None and now < circuit.open_until:
                return Admission(OPEN, circuit.open_until, circuit.reason)
            if now >= circuit.probes_expire:
                circuit.probes = 0
            if circuit.probes >= policy.half_open_probes:  # only granted slots count
                return Admission(HALF_OPEN_BUSY, now, circuit.reason)
            circuit.probes += 1
            if circuit.probes == 1:
                circuit.probes_expire = now + policy.probe_ttl_seconds
            return Admission(PROBE, None, circuit.reason)

    def release_probe(self, provider: str) -> None:
        with self._lock:
            circuit = self._circuits.get(provider)
            if circuit is not None and circuit.tripped and circuit.probes > 0:
                circuit.probes -= 1

    def record(self, provider: str, outcome: Outcome, policy: CircuitPolicy) -> str:
        now = time.time()
        with self._lock:
            circuit = self._circuits.setdefault(provider, _Circuit())
            if outcome.ok:
                if circuit.tripped:
                    self._circuits[provider] = _Circuit()
                    return CLOSED
                self._count(circuit, now, policy, failed=False)
                return CLOSED
            is_open = circuit.open_until is not None and now < circuit.open_until
            if is_open:
                return OPEN
            failures, calls = self._count(circuit, now, policy, failed=True)
            half_open = circuit.tripped
            if outcome.trip_now or half_open or _should_trip(failures, calls, policy):
                previous = (circuit.schedule, circuit.opened_at) if half_open else (0.0, now)
                schedule, opened_at, cooldown = next_cooldown(outcome, *previous, now)
                self._circuits[provider] = _Circuit(
                    open_until=now + cooldown, reason=outcome.reason, tripped=True,
                    schedule=schedule, opened_at=opened_at,
                )
                return OPEN
            return CLOSED

    @staticmethod
    def _count(circuit: _Circuit, now: float, policy: CircuitPolicy, *, failed: bool) -> tuple[int, int]:
        size = policy.window_seconds / WINDOW_BUCKETS
        current = int(now / size)
        buckets = circuit.buckets if circuit.buckets is not None else {}
        circuit.buckets = buckets
        for old in [b for b in buckets if b <= current - WINDOW_BUCKETS]:
            del buckets[old]
        counts = buckets.setdefault(current, [0, 0])
        counts[0] += int(failed)
        counts[1] += 1
        return sum(c[0] for c in buckets.values()), sum(c[1] for c in buckets.values())

    def view(self, provider: str, policy: CircuitPolicy) -> CircuitView:
        now = time.time()
        with self._lock:
            circuit = self._circuits.get(provider) or _Circuit()
            size = policy.window_seconds / WINDOW_BUCKETS
            current = int(now / size)
            live = [c for b, c in (circuit.buckets or {}).items() if b > current - WINDOW_BUCKETS]
            state = _state_name(circuit.tripped, circuit.open_until, now)
            return CircuitView(
                state, circuit.open_until if state == OPEN else None, circuit.reason,
                sum(c[0] for c in live), sum(c[1] for c in live),
            )

    def reset(self, provider: str) -> None:
        with self._lock:
            self._circuits.pop(provider, None)


def next_cooldown(
    outcome: Outcome, schedule: float, opened_at: float, now: float
) -> tuple[float, float, float]:
    """(schedule, opened_at, seconds to stay open from `now`).

    The outcome's own cooldown opens a new run. Re-opening after a failed probe doubles
    the *schedule* -- how long after the run's first opening the next half-open comes:
    2 s, 4 s, 8 s, ... -- so the wait between probes is 2 s, 2 s, 4 s, 8 s, never less
    than the base cooldown nor more than the cap. Why not double the wait from the failed
    probe (2 s, then 4 s, ...): a 3-second outage would then fail its probe at 2 s and
    wait until 6 s, leaving a recovered primary unused for 3 s or more; this way it is
    probed again at 4 s, and a long outage is still probed ever more rarely.
    """
    if not outcome.escalate or schedule <= 0:
        return outcome.cooldown, now, outcome.cooldown
    schedule *= 2
    wait = min(max(opened_at + schedule - now, outcome.cooldown), outcome.max_cooldown)
    return schedule, opened_at, wait


def _should_trip(failures: int, calls: int, policy: CircuitPolicy) -> bool:
    return failures >= policy.min_failures and failures >= policy.failure_ratio * calls


def _state_name(tripped: bool, open_until: float | None, now: float) -> str:
    if not tripped:
        return CLOSED
    return OPEN if open_until is not None and now < open_until else "half_open"
