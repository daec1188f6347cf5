"""Provider health: what the hybrid model learns from each attempt.

`ProviderHealth` is the seam between the call loop and health policy: before a call
the loop asks `skip_reason` (a circuit breaker answers "open" here), after each
attempt it calls `record`. `HealthStats`, the default, never skips a provider; it
keeps the recent latency and outcome figures that status endpoints and latency-aware
routing read.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Protocol

from app.ai.providers.records import Attempt


class ProviderHealth(Protocol):
    def skip_reason(self, provider: str) -> str | None:
        """Why `provider` should not be contacted now, or None to allow it."""

    def record(self, attempt: Attempt) -> None:
        """Learn from one finished attempt."""


@dataclass(slots=True)
class ProviderStats:
    """Recent figures for one provider (exponentially weighted)."""

    successes: int = 0
    failures: int = 0
    latency_ms: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    last_success_at: float | None = None
    failure_rate: float = 0.0
    """Exponentially weighted share of recent attempts that failed (0..1)."""


#: Above this recent failure rate a transient failure is an outage, not a blip.
MAX_BLIP_FAILURE_RATE = 0.3


class HealthStats:
    """Thread-safe in-process statistics; never vetoes a provider."""

    def __init__(self, alpha: float = 0.2) -> None:
        self._alpha = alpha
        self._stats: dict[str, ProviderStats] = {}
        self._lock = threading.Lock()

    def skip_reason(self, provider: str) -> str | None:
        return None

    def record(self, attempt: Attempt) -> None:
        with self._lock:
            stats = self._stats.setdefault(attempt.provider, ProviderStats())
            now = time.time()
            stats.failure_rate += self._alpha * (float(not attempt.ok) - stats.failure_rate)
            if attempt.ok:
                stats.successes += 1
                stats.last_success_at = now
                previous = stats.latency_ms
                stats.latency_ms = (
                    attempt.latency_ms
                    if previous is None
                    else previous + self._alpha * (attempt.latency_ms - previous)
                )
            else:
                stats.failures += 1
                stats.last_error = attempt.reason or attempt.outcome
                stats.last_error_at = now

    def snapshot(self) -> dict[str, ProviderStats]:
        with self._lock:
            return {name: replace(stats) for name, stats in self._stats.items()}


def tolerates_blip(health: ProviderHealth, provider: str) -> bool:
    """True when a transient failure of `provider` is a blip worth one retry: its circuit
    is closed and its recent failure rate (this failure included) is low."""
    stats = health if isinstance(health, HealthStats) else getattr(health, "stats", None)
    if not isinstance(stats, HealthStats):
        return False
    figures = stats.snapshot().get(provider)
    if figures is not None and figures.failure_rate > MAX_BLIP_FAILURE_RATE:
        return False
    circuit_state = getattr(health, "circuit_state", None)
    return circuit_state is None or circuit_state(provider) == "closed"
