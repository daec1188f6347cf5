"""Call observers: how cost accounting, metrics and ledgers learn about each call.

The call loop hands every finished call to each observer as one `CallRecord`.
Observers must be cheap and must never raise into the call: a failing observer is
logged and ignored, because bookkeeping must not fail or slow an AI answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.ai.providers.attempts import Attempt
from app.core.config import Settings

logger = logging.getLogger("app.ai.providers")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Everything known about one finished call."""

    outcome: str  # "ok", "failed", "interrupted", "cancelled", "not_configured"
    provider: str | None
    model: str | None
    failover: bool
    strategy: str
    latency_ms: float
    attempts: Sequence[Attempt]
    skipped: Sequence[Mapping[str, str]] = ()
    usage: Mapping[str, Any] | None = None  # LangChain usage_metadata of the answer
    metadata: Mapping[str, Any] = field(default_factory=dict)  # run metadata: feature, user_id...
    streamed: bool = False
    ttft_ms: float | None = None
    arm: str | None = None  # the provider the strategy put first
    cost_usd: float | None = None  # priced from `usage` (see pricing.py)
    failover_reason: str | None = None  # why not the routing order's first: circuit_open, ...


class CallObserver(Protocol):
    def on_call(self, record: CallRecord) -> None:
        """Called once per finished call (success or failure)."""


def notify(observers: Sequence[CallObserver], record: CallRecord) -> None:
    """Deliver `record` to every observer, isolating their failures from the call."""
    for observer in observers:
        try:
            observer.on_call(record)
        except Exception:
            logger.exception("call observer %r failed", observer)


#: Observers added at application start-up (metrics, usage ledger): they live outside
#: this library (app/observability), so they register themselves instead of being built here.
_registered: list[CallObserver] = []


def register_observer(observer: CallObserver) -> None:
    """Deliver every call of every model (already built or not) to `observer` too."""
    if observer not in _registered:
        _registered.append(observer)


def unregister_observer(observer: CallObserver) -> None:
    if observer in _registered:
        _registered.remove(observer)


class _RegisteredObservers:
    """Forwards to whatever is registered at the time of the call."""

    def on_call(self, record: CallRecord) -> None:
        notify(list(_registered), record)


def build_observers(settings: Settings) -> list[CallObserver]:
    """Cost meter, latency learning, budget spend, then the registered observers."""
    from app.ai.providers.budget import budget_tracker
    from app.ai.providers.pricing import CostMeter, price_table
    from app.ai.providers.strategies import latency_tracker

    return [
        CostMeter(price_table(settings)), latency_tracker, budget_tracker(settings), _RegisteredObservers()
    ]
