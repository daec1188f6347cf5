"""`GET /api/v1/ai/status`: what the AI layer is doing right now.

One JSON document for operators and the status page: providers and configuration,
health and circuit state, recent latency, spend against budget, the routing strategy,
and a one-hour per-minute history for the charts, read from the usage ledger (so it
covers every worker and survives restarts; see app/observability/ledger_history.py).
Live state (health, circuits, latency, spend, strategy) is the app's `AIRuntime`'s, the
one serving its calls. Secret-free by construction: it is built from
`describe_configuration` and counters, never from settings values.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request

from app.ai.providers.factory import describe_configuration
from app.api.deps import RuntimeDep, SettingsDep
from app.core.config import Settings
from app.db.engine import get_engine
from app.observability.ledger_history import ledger_history
from app.observability.quality import CachedQualityReport

router = APIRouter(prefix="/ai", tags=["ai"])
logger = logging.getLogger("app.api")
HISTORY_MINUTES = 60


def _history(settings: Settings) -> dict[str, Any]:
    """The charts' history and where it comes from (the ledger, or why there is none)."""
    if not settings.AI_LEDGER_ENABLED:
        return {"history": [], "history_source": "none: the usage ledger is off (AI_LEDGER_ENABLED=false)"}
    try:
        history = ledger_history(get_engine(settings.DATABASE_URL), HISTORY_MINUTES)
    except Exception:  # the status page must still show live state when the database is down
        logger.exception("status: usage ledger history unavailable")
        return {"history": [], "history_source": "none: the usage ledger could not be read"}
    return {"history": history, "history_source": "usage ledger (ai_usage), all workers"}


@router.get("/status", summary="AI providers, health, latency, spend and routing strategy")
def ai_status(settings: SettingsDep, runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    configuration = describe_configuration(settings)
    names = list(configuration["providers"])
    # Live state comes from the app's runtime: the one serving its calls.
    health = runtime.health_snapshot()
    circuits = runtime.circuit_snapshot()
    latency = runtime.latency_snapshot()
    spend = runtime.spend_snapshot()
    cache = getattr(request.app.state, "response_cache", None)
    providers = {
        name: {
            **configuration["providers"][name],
            "health": health.get(name),
            "circuit": circuits.get(name, {}).get("state"),
            "recent_latency_ms": (latency.get(name) or {}).get("ttft_ms"),
            "spend": spend.get(name),
        }
        for name in names
    }
    return {
        "generated_at": time.time(),
        "strategy": dict(runtime.strategy_status()),
        "configuration": configuration,
        "providers": providers,
        "health": health,
        "circuits": circuits,
        "recent_latency": latency,
        "spend": spend,
        "latency_measures": {
            "providers.*.recent_latency_ms": "time to first token of this worker's recent calls (ms)",
            "history.*.latency_ms": "mean whole-call latency per minute (ms): start of the call to its "
            "complete answer, retries and failover included, by the provider that answered",
        },
        **_history(settings),
        "response_cache": cache.snapshot() if cache is not None else {"enabled": False},
        "quality": _quality(request, settings),
    }


def _quality(request: Request, settings: Settings) -> dict[str, Any]:
    """A/B quality per feature and arm (ratings with CIs and a verdict), cached 10 s per app."""
    report: CachedQualityReport | None = getattr(request.app.state, "quality_report", None)
    if report is None:
        report = request.app.state.quality_report = CachedQualityReport(get_engine(settings.DATABASE_URL))
    return report.get()
