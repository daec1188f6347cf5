"""`POST /api/v1/ai/complete`: a chat completion served by the hybrid provider layer.

Why it exists: the resilience promises (failover, circuit breakers, hedging, the
deadline) are only worth something if they hold at the HTTP edge; the chaos suite
drives this endpoint. Provider trouble never surfaces as a bare 500:
* every provider failed -> 503 with `Retry-After` and a typed JSON error body;
* a stream that fails after content -> an SSE `error` event with a typed error
  (never a silently truncated answer); a stream that fails before content -> the same
  503 JSON as a plain call, since nothing has been sent yet.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette.sse import EventSourceResponse

from app.ai.providers.errors import HybridProviderError, ProviderError, StreamInterruptedError
from app.ai.providers.factory import get_llm_provider

router = APIRouter(prefix="/ai", tags=["ai"])

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 32_000


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")  # unknown fields are a client error, not ignored

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


class CompletionResponse(BaseModel):
    content: str
    provider: str
    model: str
    failover: bool
    degraded: bool = False
    attempts: list[dict[str, Any]]


_ROLES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}


def _to_messages(request: CompletionRequest) -> list[BaseMessage]:
    return [_ROLES[m.role](content=m.content) for m in request.messages]


def _error_body(error: BaseException, kind: str) -> dict[str, Any]:
    attempts = [a.as_dict() for a in getattr(error, "attempts", ())]
    return {"error": {"type": kind, "message": str(error), "attempts": attempts}}


def _unavailable(error: BaseException) -> JSONResponse:
    """503 + Retry-After: every provider failed (or none could be tried)."""
    hint = error.retry_after if isinstance(error, ProviderError) else None
    retry_after = max(1, math.ceil(hint)) if hint else 1
    return JSONResponse(
        status_code=503,
        content=_error_body(error, "ai_unavailable"),
        headers={"Retry-After": str(retry_after)},
    )


def _answer(content: str, meta: dict[str, Any]) -> dict[str, Any]:
    return CompletionResponse(
        content=content,
        provider=meta.get("provider", ""),
        model=meta.get("model", ""),
        failover=bool(meta.get("failover", False)),
        attempts=list(meta.get("attempts", [])),
    ).model_dump()


@router.post(
    "/complete",
    response_model=CompletionResponse,
    responses={503: {"description": "Every AI provider failed; see Retry-After"}},
)
async def complete(request: CompletionRequest, http: Request) -> Any:
    """Answer the conversation; JSON by default, Server-Sent Events with `stream: true`."""
    model = get_llm_provider(runtime=http.app.state.ai_runtime)
    messages = _to_messages(request)
    if request.stream:
        return await _stream(model, messages)
    try:
        answer = await model.ainvoke(messages)
    except HybridProviderError as error:
        return _unavailable(error)
    meta = answer.response_metadata.get("hybrid", {})
    return JSONResponse(
        _answer(str(answer.text), meta), headers={"X-AI-Provider": meta.get("provider", "")}
    )


async def _stream(model: Any, messages: list[BaseMessage]) -> Any:
    """SSE: `token` events, then `done` with the metadata (or `error` after content).

    The first content chunk is awaited before the response starts, so a call that
    fails before any content still gets a proper 503 instead of a broken stream.
    """
    chunks = model.astream(messages)
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = None
    except HybridProviderError as error:
        return _unavailable(error)

    async def events() -> AsyncIterator[dict[str, str]]:
        parts: list[str] = []
        meta: dict[str, Any] = {}
        pending = [first] if first is not None else []
        try:
            while True:
                chunk = pending.pop() if pending else await anext(chunks)
                meta = chunk.response_metadata.get("hybrid") or meta
                text = str(chunk.text)
                if text:
                    parts.append(text)
                    yield {"event": "token", "data": json.dumps({"text": text})}
        except StopAsyncIteration:
            body = _answer("".join(parts), meta)
            yield {"event": "done", "data": json.dumps(body)}
        except StreamInterruptedError as error:
            yield {"event": "error", "data": json.dumps(_error_body(error, "stream_interrupted"))}
        except HybridProviderError as error:
            yield {"event": "error", "data": json.dumps(_error_body(error, "ai_unavailable"))}
        finally:
            await chunks.aclose()

    provider = (first.response_metadata.get("hybrid") or {}).get("provider", "") if first else ""
    headers = {"X-AI-Provider": provider} if provider else {}
    return EventSourceResponse(events(), headers=headers)
