"""`GET /api/v1/ai/status`: what the AI layer is doing right now.

One JSON document for operators and the status page: providers and configuration,
health and circuit state, recent latency, spend against budget, the routing strategy,
and a one-hour per-minute history for the charts. Secret-free by construction: it is
built from `describe_configuration` and the counters of the app's `AIRuntime` (the
one serving its calls), never from settings values.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from app.ai.providers.factory import describe_configuration
from app.api.deps import RuntimeDep, SettingsDep
from app.observability.history import CallHistory

router = APIRouter(prefix="/ai", tags=["ai"])


@router.get("/status", summary="AI providers, health, latency, spend and routing strategy")
def ai_status(settings: SettingsDep, runtime: RuntimeDep, request: Request) -> dict[str, Any]:
    configuration = describe_configuration(settings)
    names = list(configuration["providers"])
    health = runtime.health_snapshot()
    circuits = runtime.circuit_snapshot()
    latency = runtime.latency_snapshot()
    spend = runtime.spend_snapshot()
    history: CallHistory = request.app.state.call_history
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
        "history": history.snapshot(),
    }
