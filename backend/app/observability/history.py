"""A short in-memory history of AI calls, per minute and provider, for the status page.

Prometheus keeps the long history; the status page only needs the last hour to draw
its charts without a metrics server, so a ring of one-minute buckets is enough.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from app.ai.providers.records import CallRecord


class CallHistory:
    """Calls, failovers, latency and spend per provider in one-minute buckets."""

    def __init__(self, minutes: int = 60, clock: Any = time.time) -> None:
        self.minutes = minutes
        self.clock = clock
        self._buckets: OrderedDict[int, dict[str, dict[str, float]]] = OrderedDict()
        self._lock = threading.Lock()

    def on_call(self, record: CallRecord) -> None:
        minute = int(self.clock() // 60) * 60
        provider = record.provider or "none"
        with self._lock:
            bucket = self._buckets.setdefault(minute, {})
            figures = bucket.setdefault(
                provider, {"calls": 0, "failovers": 0, "errors": 0, "latency_ms_sum": 0.0, "cost_usd": 0.0}
            )
            figures["calls"] += 1
            figures["failovers"] += int(record.failover)
            figures["errors"] += int(record.outcome != "ok")
            figures["latency_ms_sum"] += record.latency_ms
            figures["cost_usd"] += record.cost_usd or 0.0
            while len(self._buckets) > self.minutes:
                self._buckets.popitem(last=False)

    def snapshot(self) -> list[dict[str, Any]]:
        """Oldest first: [{minute (unix s), providers: {name: {calls, failovers, errors,
        latency_ms (mean), cost_usd}}}]."""
        with self._lock:
            items = [
                (minute, {name: dict(figures) for name, figures in bucket.items()})
                for minute, bucket in self._buckets.items()
            ]
        out = []
        for minute, providers in items:
            for figures in providers.values():
                figures["latency_ms"] = round(figures.pop("latency_ms_sum") / max(figures["calls"], 1), 3)
                figures["cost_usd"] = round(figures["cost_usd"], 8)
            out.append({"minute": minute, "providers": providers})
        return out
