"""Per-provider circuit breakers: a provider that keeps failing is not called at all.

Why: failing over costs the time of the failed attempt (a timeout can be many
seconds). Once a provider has failed often enough within a sliding window, its
circuit *opens* and calls go straight to the next provider -- an open circuit costs
nothing. After a cooldown the circuit is *half-open*: a limited number of probe calls
go through; one success closes it, one failure opens it again.

* The cooldown follows the provider's `retry-after` when it sent one (capped), else
  `AI_CIRCUIT_COOLDOWN_SECONDS` (2 s); each consecutive re-open -- a failed half-open
  probe -- doubles the time from the first opening to the next half-open (2, 4, 8 s...;
  waits 2, 2, 4 s..., each at most `AI_CIRCUIT_MAX_COOLDOWN_SECONDS`): a short outage
  ends quickly, a long one is not probed every two seconds (`state_store.next_cooldown`).
  Provider-fatal errors (bad key, quota, billing) open it at once for
  `AI_CIRCUIT_FATAL_COOLDOWN_SECONDS`.
* Request-fatal failures (our request was refused) and cancellations say nothing
  about the provider's health and are not counted.
* State lives in a `StateStore` (`state_store.py`): in-process, or in Redis (`redis_store.py`) so that
  every worker and replica shares it.
* A probe that ends without a verdict -- cancelled because its hedge lost or its caller
  left -- gives its slot back at once (`release_probe`); the probe TTL is only the
  safety net for a worker that died mid-probe.
* When every circuit is open, `CallState` still tries the provider due to recover
  first (`recovers_at`) rather than failing blind.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from app.ai.providers.policies.health import HealthStats
from app.ai.providers.policies.state_store import (
    CLOSED,
    HALF_OPEN_BUSY,
    OPEN,
    PROBE,
    CircuitPolicy,
    Outcome,
    StateStore,
)
from app.ai.providers.records import Attempt

#: Attempt outcomes the circuit counts as failures of the provider.
_COUNTED = ("transient", "provider_fatal")
#: Seconds a "closed" answer from the store is reused without asking again. Saves a
#: Redis round-trip per provider per call; another worker's trip reaches this one at
#: most this late (this worker's own failures invalidate it at once).
CLOSED_CACHE_SECONDS = 0.1


class Admitted(NamedTuple):
    """A circuit's answer for one call: why to skip the provider (None: call it), and
    whether the call holds the circuit's half-open probe slot."""

    reason: str | None
    probe: bool = False


class CircuitBreaker:
    """`ProviderHealth` that vetoes providers whose circuit is open.

    Keeps feeding the plain `HealthStats` too, so latency figures stay available.
    Successes are written to a remote store off the call's path, by the breaker's own
    one-thread executor (they cannot open a circuit, so nobody waits for them); failures
    are written before the call goes on. `close()` stops the executor.
    """

    def __init__(
        self,
        store: StateStore,
        stats: HealthStats | None = None,
        *,
        policy: CircuitPolicy | None = None,
        cooldown: float = 2.0,
        max_cooldown: float = 120.0,
        fatal_cooldown: float = 300.0,
    ) -> None:
        self.store = store
        self.stats = stats or HealthStats()
        self.policy = policy or CircuitPolicy()
        self.cooldown = cooldown
        self.max_cooldown = max_cooldown
        self.fatal_cooldown = fatal_cooldown
        self._known: set[str] = set()
        self._recovers_at: dict[str, float] = {}
        self._closed_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._background: ThreadPoolExecutor | None = None

    def _submit(self, provider: str, outcome: Outcome) -> None:
        with self._lock:
            if self._background is None:
                self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="circuit-state")
            executor = self._background
        executor.submit(self.store.record, provider, outcome, self.policy)

    def close(self) -> None:
        """Finish the pending background writes and stop the executor."""
        with self._lock:
            executor, self._background = self._background, None
        if executor is not None:
            executor.shutdown(wait=True)

    def skip_reason(self, provider: str) -> str | None:
        """None when the provider may be called (closed, or a half-open probe slot)."""
        return self.admission(provider).reason

    def admission(self, provider: str) -> Admitted:
        """`skip_reason`, and whether the call was granted a half-open probe slot: a call
        that then ends without a verdict on it must give it back (`release_probe`)."""
        if time.monotonic() < self._closed_until.get(provider, 0.0):
            return Admitted(None, probe=False)
        admission = self.store.admit(provider, self.policy)
        with self._lock:
            self._known.add(provider)
            if admission.state == CLOSED:
                self._closed_until[provider] = time.monotonic() + CLOSED_CACHE_SECONDS
            if admission.open_until is None:
                self._recovers_at.pop(provider, None)
            else:
                self._recovers_at[provider] = admission.open_until
        if admission.state == OPEN:
            wait = max(0.0, (admission.open_until or 0.0) - time.time())
            return Admitted(f"circuit open ({admission.reason or 'failures'}; half-open in {wait:.1f}s)")
        if admission.state == HALF_OPEN_BUSY:
            return Admitted(f"circuit half-open ({admission.reason or 'failures'}; probe in flight)")
        return Admitted(None, probe=admission.state == PROBE)

    def release_probe(self, provider: str) -> None:
        """The probe granted by `admission` ended without a verdict (a hedge it lost, a
        caller that went away): the slot is free for the next call at once, not after
        the probe TTL -- otherwise a recovered provider sits unused for that long."""
        self.store.release_probe(provider)

    def circuit_state(self, provider: str) -> str:
        """closed / open / half_open, without taking a probe slot."""
        if time.monotonic() < self._closed_until.get(provider, 0.0):
            return CLOSED
        return self.store.view(provider, self.policy).state

    def recovers_at(self, provider: str) -> float | None:
        """Epoch seconds at which `provider`'s circuit turns half-open (None: not open)."""
        with self._lock:
            return self._recovers_at.get(provider)

    def record(self, attempt: Attempt) -> None:
        self.stats.record(attempt)
        if attempt.ok:
            outcome = Outcome(ok=True)
        elif attempt.outcome in _COUNTED:
            fatal = attempt.outcome == "provider_fatal"
            hinted = attempt.retry_after is not None and attempt.retry_after > 0
            outcome = Outcome(
                ok=False,
                trip_now=fatal,
                cooldown=self._cooldown_for(attempt, fatal),
                reason=_reason(attempt),
                escalate=not fatal and not hinted,
                max_cooldown=self.max_cooldown,
            )
        else:
            return
        if outcome.ok and self.store.backend != "memory":
            self._submit(attempt.provider, outcome)
            return
        if not outcome.ok:
            self._closed_until.pop(attempt.provider, None)
        if self.store.record(attempt.provider, outcome, self.policy) != CLOSED:
            self._closed_until.pop(attempt.provider, None)

    def _cooldown_for(self, attempt: Attempt, fatal: bool) -> float:
        if fatal:
            return self.fatal_cooldown
        if attempt.retry_after is not None and attempt.retry_after > 0:
            return min(attempt.retry_after, self.max_cooldown)
        return self.cooldown

    def snapshot(self, providers: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """State and recent health of each provider's circuit, for status endpoints."""
        with self._lock:
            names = sorted(set(providers or []) | self._known | set(self.stats.snapshot()))
        stats = self.stats.snapshot()
        now = time.time()
        result: dict[str, dict[str, Any]] = {}
        for name in names:
            view = self.store.view(name, self.policy)
            figures = stats.get(name)
            result[name] = {
                "state": view.state,
                "reason": view.reason if view.state != CLOSED else None,
                "half_open_in_s": round(max(0.0, view.open_until - now), 3) if view.open_until else None,
                "window_failures": view.failures,
                "window_calls": view.calls,
                "store": self.store.backend,
                "successes": figures.successes if figures else 0,
                "failures": figures.failures if figures else 0,
                "latency_ms": round(figures.latency_ms, 3) if figures and figures.latency_ms else None,
                "last_error": figures.last_error if figures else None,
            }
        return result


def _reason(attempt: Attempt) -> str:
    parts = [attempt.reason or attempt.outcome]
    if attempt.status:
        parts.append(str(attempt.status))
    return " ".join(parts)
