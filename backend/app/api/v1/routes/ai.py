"""`POST /api/v1/ai/complete`: a chat completion served by the hybrid provider layer.

Why it exists: the resilience promises (failover, circuit breakers, hedging, the
deadline) are only worth something if they hold at the HTTP edge; the chaos suite
drives this endpoint. Provider trouble never surfaces as a bare 500:
* every provider failed -> 503 with `Retry-After` and a typed JSON error body;
* no provider configured -> 503 `ai_not_configured` without `Retry-After`;
* a stream that fails after content -> an SSE `error` event with a typed error
  (never a silently truncated answer); a stream that fails before content -> the same
  503 JSON as a plain call, since nothing has been sent yet.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sse_starlette.sse import EventSourceResponse

from app.ai.chains.served import run_config
from app.ai.providers.errors import HybridProviderError, StreamInterruptedError
from app.ai.providers.factory import get_llm_provider
from app.api.ai_responses import StreamFlag, wants_stream
from app.api.errors import AI_ERROR_RESPONSES, error_body, unavailable_response
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
    """503: every provider failed (with Retry-After), or none is configured (without)."""
    return unavailable_response(error)


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
    responses={**error_responses(413), **AI_ERROR_RESPONSES},
)
async def complete(request: CompletionRequest, http: Request) -> Any:
    """Answer the conversation: JSON, or Server-Sent Events by the rule of `wants_stream`."""
    model = get_llm_provider(runtime=http.app.state.ai_runtime)
    messages = _to_messages(request)
    if wants_stream(http, request.stream):
        return await _stream(model, messages)
    try:
        answer = await model.ainvoke(messages, config=run_config(FEATURE))
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
    chunks = model.astream(messages, config=run_config(FEATURE))
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
