"""The response cache at the HTTP edge: whether and how a request may use it.

Why the decision is here and the look-up in the chains: whether a request may use the
cache is an HTTP matter (`Cache-Control: no-cache` / `no-store`, the body's `cache`
flag), but what the answer depends on is known only after stage one has run (the
shortlist, the retrieved passages), inside the chain. So this module builds a
`ModelAnswerCache` for the request and hands it to the feature's `compute`; the chain
looks up exactly the messages it would send (`app/ai/cache/model_answers.py`). A hit is
recorded in the usage ledger and metrics as a call with outcome `cached` (cost 0, the
original provider and model), so spend reports count it and the key that received it
may rate it; the response says `cached: true` with an `Age` header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.ai.cache import ResponseCache, cache_mode
from app.ai.cache.model_answers import ModelAnswerCache
from app.ai.chains.served import ServedBy
from app.ai.providers import AIRuntime
from app.ai.providers.records import CallRecord
from app.api.ai_responses import ai_headers
from app.core.config import Settings
from app.core.request_context import get_client_id, get_request_id

#: What a feature computes: the response body and who served it (`cached` on a hit).
Computed = tuple[BaseModel, ServedBy]


def response_cache_of(request: Request) -> ResponseCache | None:
    cache: ResponseCache | None = getattr(request.app.state, "response_cache", None)
    return cache


def _served_by(runtime: AIRuntime) -> list[tuple[str, str]]:
    return [(m.name, m.model_name) for m in runtime.model().members]


def _hit_recorder(feature: str, settings: Settings, runtime: AIRuntime) -> Callable[[ServedBy], None]:
    def record(served: ServedBy) -> None:
        runtime.notify(
            CallRecord(
                outcome="cached", provider=served.provider, model=served.model, failover=False,
                strategy=settings.AI_ROUTING_STRATEGY, latency_ms=served.latency_ms or 0.0, attempts=(),
                metadata={"feature": feature, "request_id": get_request_id(), "client_id": get_client_id()},
                cost_usd=0.0,
            )
        )

    return record


def answer_cache_for(
    request: Request, settings: Settings, feature: str, body_flag: bool | None
) -> ModelAnswerCache | None:
    """This request's access to the response cache; None when it is off or `no-store`."""
    cache = response_cache_of(request)
    mode = cache_mode(request.headers.get("cache-control"), body_flag)
    if cache is None or mode == "off":
        return None
    extra: dict[str, Any] = {}
    if settings.AI_ROUTING_STRATEGY == "ab":  # sticky per user: another user may be on another arm
        extra["user_id"] = request.headers.get("x-user-id")
    runtime: AIRuntime = request.app.state.ai_runtime
    return ModelAnswerCache(
        cache, mode, feature, _served_by(runtime), extra, _hit_recorder(feature, settings, runtime)
    )


async def cached_answer(
    request: Request,
    settings: Settings,
    *,
    feature: str,
    body_flag: bool | None,
    compute: Callable[[ModelAnswerCache | None], Awaitable[Computed]],
) -> JSONResponse:
    """The feature's answer, `compute`d with this request's cache access (None: no cache)."""
    answers = answer_cache_for(request, settings, feature, body_flag)
    body, served = await compute(answers)
    headers = ai_headers(served)
    if served.cached and answers is not None and answers.last_hit_age is not None:
        headers["Age"] = str(answers.last_hit_age)
    return JSONResponse(body.model_dump(mode="json"), headers=headers)
