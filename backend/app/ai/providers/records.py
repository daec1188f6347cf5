"""Records of a call: one `Attempt` per try, one `CallRecord` per finished call.

Observers (cost ledger, metrics, history, latency learning, budget spend) learn about
calls only through `CallRecord`; they must be cheap and must never raise into the call:
a failing observer is logged and ignored, because bookkeeping must not fail or slow an
AI answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

logger = logging.getLogger("app.ai.providers")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one provider within a call."""

    provider: str
    model: str
    outcome: str  # "ok", or the ErrorClass value of the failure
    latency_ms: float
    reason: str | None = None
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, without empty fields (on every answer: kept cheap)."""
        return {k: v for k in self.__slots__ if (v := getattr(self, k)) is not None}

    def summary(self) -> str:
        """`openai (gpt-4o): transient rate_limited 429` -- for error messages."""
        parts = [f"{self.provider} ({self.model}): {self.outcome}"]
        if self.reason:
            parts.append(self.reason)
        if self.status:
            parts.append(str(self.status))
        return " ".join(parts) + (f" - {self.error}" if self.error else "")


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
