"""`POST /api/v1/ai/complete`: a chat completion served by the hybrid provider layer.

Why it exists: the resilience promises (failover, circuit breakers, hedging, the
deadline) are only worth something if they hold at the HTTP edge; the chaos suite
drives this endpoint. Provider trouble never surfaces as a bare 500:
* every provider failed -> 503 with `Retry-After` and a typed JSON error body;
* no provider configured -> 503 `ai_not_configured` without `Retry-After`;
* a stream cut after content is continued by the provider layer (prefill); when no
  provider can continue it, a documented `restart` event follows and then the
  complete answer from the next provider -- the client drops what it showed; with
  nobody left, an SSE `error` event with a typed error (never a silently truncated
  answer); a stream that fails before content -> the same 503 JSON as a plain call;
* a provider's content-policy refusal -> 422 `content_filtered` with its reason;
* an answer cut by the output limit is continued (`AI_MAX_CONTINUATIONS`), and what is
  still cut says `truncated: true` with its `finish_reason`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sse_starlette.sse import EventSourceResponse

from app.ai.chains.served import run_config
from app.ai.providers.engine.completion import Restart, acomplete, astream_whole
from app.ai.providers.errors import HybridProviderError, StreamInterruptedError
from app.ai.providers.factory import get_llm_provider
from app.api.ai_responses import StreamFlag, wants_stream
from app.api.errors import (
    AI_ERROR_RESPONSES,
    CONTENT_FILTERED,
    error_body,
    refusal_of,
    refused_response,
    unavailable_response,
)
from app.models.common import no_nul
from app.models.http import error_responses

router = APIRouter(prefix="/ai", tags=["ai"])

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 32_000


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")  # unknown fields are a client error, not ignored

    role: Literal["system", "user", "assistant"]
    content: Annotated[str, AfterValidator(no_nul)] = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: StreamFlag = None

    @model_validator(mode="after")
    def _needs_a_user_turn(self) -> CompletionRequest:
        # Providers reject a conversation without a user turn (400); refuse it here
        # instead of spending a call on every provider and answering 503.
        if not any(message.role == "user" for message in self.messages):
            raise ValueError("messages must contain at least one message with role 'user'")
        return self


class CompletionResponse(BaseModel):
    content: str
    provider: str
    model: str
    failover: bool
    degraded: bool = False
    attempts: list[dict[str, Any]]
    truncated: bool = False
    """The output limit cut the answer (after any continuations)."""
    finish_reason: str | None = None
    resumed: bool = False
    """A stream cut after content was continued on another provider."""
    resumed_from: str | None = None
    restarted: bool = False
    """No provider could continue a cut stream: this answer restarted on the next one."""
    continuations: int = 0
    failover_reason: str | None = None
    skipped: list[dict[str, str]] = Field(default_factory=list)


_ROLES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}


def _to_messages(request: CompletionRequest) -> list[BaseMessage]:
    return [_ROLES[m.role](content=m.content) for m in request.messages]


#: Feature name of this route in usage reports, logs and metrics.
FEATURE = "complete"


def _error_body(error: BaseException, kind: str) -> dict[str, Any]:
    return error_body(error, kind)


def _unavailable(error: BaseException) -> JSONResponse:
    """422 for a content-policy refusal; else 503: every provider failed (with
    Retry-After), or none is configured (without)."""
    return refused_response(error) or unavailable_response(error)


def _answer(content: str, meta: dict[str, Any]) -> dict[str, Any]:
    return CompletionResponse(
        content=content,
        provider=meta.get("provider", ""),
        model=meta.get("model", ""),
        failover=bool(meta.get("failover", False)),
        attempts=list(meta.get("attempts", [])),
        truncated=bool(meta.get("truncated", False)),
        finish_reason=meta.get("finish_reason"),
        resumed=bool(meta.get("resumed", False)),
        resumed_from=meta.get("resumed_from"),
        restarted=bool(meta.get("restarted", False)),
        continuations=int(meta.get("continuations", 0)),
        failover_reason=meta.get("failover_reason"),
        skipped=list(meta.get("skipped", [])),
    ).model_dump()


@router.post(
    "/complete",
    response_model=CompletionResponse,
    responses={**error_responses(413), **AI_ERROR_RESPONSES},
)
async def complete(request: CompletionRequest, http: Request) -> Any:
    """Answer the conversation: JSON, or Server-Sent Events by the rule of `wants_stream`."""
    model = get_llm_provider(runtime=http.app.state.ai_runtime)
    messages = _to_messages(request)
    if wants_stream(http, request.stream):
        return await _stream(model, messages)
    try:
        answer = await acomplete(model, messages, config=run_config(FEATURE))
    except HybridProviderError as error:
        return _unavailable(error)
    meta = answer.response_metadata.get("hybrid", {})
    return JSONResponse(
        _answer(str(answer.text), meta), headers={"X-AI-Provider": meta.get("provider", "")}
    )


def _stream_error(error: BaseException) -> dict[str, str]:
    """The typed `error` event ending a stream: content_filtered, stream_interrupted, ai_unavailable."""
    refusal = refusal_of(error)
    if refusal is not None:
        body = _error_body(error, CONTENT_FILTERED)
        body["error"].update(refusal)
    elif isinstance(error, StreamInterruptedError):
        body = _error_body(error, "stream_interrupted")
    else:
        body = _error_body(error, "ai_unavailable")
    return {"event": "error", "data": json.dumps(body)}


async def _stream(model: Any, messages: list[BaseMessage]) -> Any:
    """SSE: `token` events, then `done` with the metadata (or `error` after content);
    a `restart` event when the answer starts again on the next provider (see module).

    The first content chunk is awaited before the response starts, so a call that
    fails before any content still gets a proper 503 instead of a broken stream.
    """
    chunks = astream_whole(model, messages, config=run_config(FEATURE))
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
                item = pending.pop() if pending else await anext(chunks)
                if isinstance(item, Restart):  # the client drops what it showed (documented)
                    parts.clear()
                    yield {"event": "restart", "data": json.dumps(item.as_dict())}
                    continue
                meta = item.response_metadata.get("hybrid") or meta
                if text := str(item.text):
                    parts.append(text)
                    yield {"event": "token", "data": json.dumps({"text": text})}
        except StopAsyncIteration:
            body = _answer("".join(parts), meta)
            yield {"event": "done", "data": json.dumps(body)}
        except HybridProviderError as error:
            yield _stream_error(error)
        finally:
            await chunks.aclose()

    served = first.response_metadata.get("hybrid") if isinstance(first, AIMessageChunk) else None
    provider = (served or {}).get("provider", "")
    headers = {"X-AI-Provider": provider} if provider else {}
    return EventSourceResponse(events(), headers=headers)
