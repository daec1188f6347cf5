"""The response cache at the HTTP edge: look up, serve `cached: true`, or compute and store.

Why here and not in the chains: whether a request may use the cache is an HTTP matter
(`Cache-Control: no-cache` / `no-store`, the body's `cache` flag) and what is cached is
the response body the client gets. A hit is recorded in the usage ledger and metrics as
a call with outcome `cached` (cost 0, the original provider and model), so spend reports
count it and the key that received it may rate it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.ai.cache import ResponseCache, cache_mode
from app.ai.chains.served import ServedBy
from app.ai.providers import AIRuntime
from app.ai.providers.records import CallRecord
from app.api.ai_responses import ai_headers, ai_json
from app.core.config import Settings
from app.core.request_context import get_client_id, get_request_id

#: What a feature computes on a miss: the response body, who served it, and whether the
#: answer is complete (a model answer that parsed).
Computed = tuple[BaseModel, ServedBy, bool]


def response_cache_of(request: Request) -> ResponseCache | None:
    cache: ResponseCache | None = getattr(request.app.state, "response_cache", None)
    return cache


def cacheable(served: ServedBy, complete: bool) -> bool:
    """Only whole model answers: never degraded, local, incomplete or truncated ones."""
    truncated = bool(getattr(served, "truncated", False))
    return complete and not served.degraded and not truncated and served.provider not in ("", "local")


def _served_by(runtime: AIRuntime) -> list[tuple[str, str]]:
    return [(m.name, m.model_name) for m in runtime.model().members]


def _record_hit(
    feature: str, body: Mapping[str, Any], settings: Settings, runtime: AIRuntime, latency_ms: float
) -> None:
    runtime.notify(
        CallRecord(
            outcome="cached", provider=body.get("provider"), model=body.get("model"), failover=False,
            strategy=settings.AI_ROUTING_STRATEGY, latency_ms=round(latency_ms, 3), attempts=(),
            metadata={"feature": feature, "request_id": get_request_id(), "client_id": get_client_id()},
            cost_usd=0.0,
        )
    )


async def cached_answer(
    request: Request,
    settings: Settings,
    *,
    feature: str,
    inputs: Mapping[str, Any],
    tables: Sequence[str],
    instructions: str,
    body_flag: bool | None,
    compute: Callable[[], Awaitable[Computed]],
) -> JSONResponse:
    """The feature's answer: from the cache when allowed and present, else `compute()`d
    (and stored when cacheable)."""
    cache = response_cache_of(request)
    mode = cache_mode(request.headers.get("cache-control"), body_flag)
    if cache is None or mode == "off":
        body, served, _ = await compute()
        return ai_json(body, served)
    started = time.monotonic()
    key_inputs = dict(inputs)
    if settings.AI_ROUTING_STRATEGY == "ab":  # sticky per user: another user may be on another arm
        key_inputs["user_id"] = request.headers.get("x-user-id")
    runtime: AIRuntime = request.app.state.ai_runtime
    key = await cache.key_for(feature, key_inputs, tables, _served_by(runtime), instructions)
    if key is not None and mode == "use":
        hit = await cache.get(key)
        if hit is not None:
            latency_ms = (time.monotonic() - started) * 1000.0
            content = {
                **hit.body, "cached": True, "cost_usd": 0.0, "usage": {}, "attempts": [],
                "failover": False, "latency_ms": round(latency_ms, 3),
            }
            _record_hit(feature, content, settings, runtime, latency_ms)
            served = ServedBy(provider=str(content.get("provider", "")), model=str(content.get("model", "")),
                              cached=True)
            headers = {**ai_headers(served), "Age": str(hit.age_seconds)}
            return JSONResponse(content, headers=headers)
    body, served, complete = await compute()
    if key is not None:
        await cache.put(key, feature, body.model_dump(mode="json"), cacheable(served, complete))
    return ai_json(body, served)
