"""When to hedge: how long the first provider may take to start answering before the
next one is started too (`AI_HEDGE_MODE`, `AI_HEDGE_AFTER_MS`, `AI_HEDGE_MIN_MS`).

* `off`: never; the plan is plain sequential failover.
* `fixed`: hedge after `AI_HEDGE_AFTER_MS`.
* `adaptive`: hedge after the p95 time to first token observed for that provider
  (at least `AI_HEDGE_MIN_MS`); until enough samples exist, `AI_HEDGE_AFTER_MS` if set,
  else no hedge. Only winners are observed, so the estimate leans fast -- acceptable,
  since it only decides when a second request is *started*.

The engine (`engine/hedging.py`) asks `delay_for` for the call's first attempt; the
policy keeps the time-to-first-token samples, so it belongs to the runtime.
"""

from __future__ import annotations

import math
import threading
from collections import deque

#: Samples needed before the adaptive mode trusts its p95.
ADAPTIVE_MIN_SAMPLES = 20
ADAPTIVE_WINDOW = 200


class HedgePolicy:
    """When to start the next provider; `delay_for` is None when not hedging."""

    def __init__(self, mode: str = "off", after_ms: float | None = None, min_ms: float = 50.0) -> None:
        self.mode = mode
        self.after_ms = after_ms
        self.min_ms = min_ms
        self._ttft: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def observe(self, provider: str, ttft_ms: float) -> None:
        with self._lock:
            self._ttft.setdefault(provider, deque(maxlen=ADAPTIVE_WINDOW)).append(ttft_ms)

    def p95_ms(self, provider: str) -> float | None:
        with self._lock:
            samples = sorted(self._ttft.get(provider, ()))
        if len(samples) < ADAPTIVE_MIN_SAMPLES:
            return None
        return samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]

    def delay_for(self, provider: str) -> float | None:
        """Seconds after which `provider`'s attempt is hedged, or None."""
        if self.mode == "fixed" and self.after_ms is not None:
            return self.after_ms / 1000.0
        if self.mode == "adaptive":
            p95 = self.p95_ms(provider)
            chosen = max(p95, self.min_ms) if p95 is not None else self.after_ms
            return chosen / 1000.0 if chosen is not None else None
        return None
