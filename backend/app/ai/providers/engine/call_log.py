"""The one report of a finished call: a `CallRecord` to the runtime's observers
(metrics, history, the ledger) and one structured log line.

Kept apart from `call.py` so the call's book-keeping reads as plan and record; this is
only how a finished call is told to the rest of the runtime.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.policies.deadline import Deadline
from app.ai.providers.records import Attempt, CallRecord

logger = logging.getLogger("app.ai.providers")


class FinishedCall(Protocol):
    """What a report reads of a `CallState` (a protocol: `call.py` imports this module)."""

    policy: CallPolicy
    deadline: Deadline
    attempts: list[Attempt]
    skipped: list[dict[str, str]]
    metadata: dict[str, Any]
    arm: str | None


def report_call(
    call: FinishedCall,
    outcome: str,
    served: Mapping[str, Any],
    *,
    usage: Mapping[str, Any] | None = None,
    streamed: bool = False,
    ttft_ms: float | None = None,
) -> None:
    """Tell the observers and the log how `call` ended (`served`: the answer's metadata)."""
    observers = call.policy.observers
    if observers:
        observers.on_call(
            CallRecord(
                outcome=outcome,
                provider=served.get("provider"),
                model=served.get("model"),
                failover=bool(served.get("failover", False)),
                failover_reason=served.get("failover_reason"),
                strategy=call.policy.strategy.name,
                latency_ms=round(call.deadline.elapsed_ms(), 3),
                attempts=tuple(call.attempts),
                skipped=tuple(call.skipped),
                usage=usage,
                metadata=call.metadata,
                streamed=streamed,
                ttft_ms=ttft_ms,
                arm=call.arm,
                cost_usd=served.get("cost_usd"),
            ),
        )
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.info(
        "ai call %s",
        outcome,
        extra={
            "event": "ai_call",
            "outcome": outcome,
            "provider": served.get("provider"),
            "model": served.get("model"),
            "failover": served.get("failover", False),
            "attempts": [a.as_dict() for a in call.attempts],
            "skipped": call.skipped,
            "latency_ms": round(call.deadline.elapsed_ms(), 3),
            **{k: v for k, v in call.metadata.items() if k in ("feature", "request_id")},
        },
    )
