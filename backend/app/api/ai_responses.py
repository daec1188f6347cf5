"""Response pieces shared by the AI feature routes: who-served-it fields, headers, SSE.

Why: every AI answer must say which provider and model served it, whether failover
happened and whether it is degraded -- in the body and in `X-AI-*` headers -- and every
streamed answer must follow the same event protocol:
`token` / `tool_call` / `tool_result` events, then `done` (with the served-by fields)
or a typed `error` event. A stream that fails before its first event gets a plain
HTTP error instead (nothing has been sent yet), so `sse_response` awaits that event
before the response starts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from app.ai.chains.served import ServedBy
from app.ai.providers.errors import HybridProviderError, StreamInterruptedError
from app.api.errors import AI_UNAVAILABLE, STREAM_INTERRUPTED, error_body
from app.models.http import not_found
from app.repositories import NotFoundError

#: An event: (name, JSON-ready data).
Event = tuple[str, dict[str, Any]]

UserIdHeader = Annotated[
    str | None, Header(alias="X-User-Id", max_length=200, description="Caller id for usage accounting.")
]


class ServedFields(BaseModel):
    """Who answered; present on every AI response body."""

    provider: str = Field(description="Provider that answered; `local` for a deterministic answer.")
    model: str = Field(description="Model that answered; `rules` for a deterministic answer.")
    failover: bool = Field(description="True when the primary failed and another provider answered.")
    degraded: bool = Field(description="True when no provider could answer and this is the fallback.")
    attempts: list[dict[str, Any]] = Field(default_factory=list, description="Every provider attempt.")
    latency_ms: float | None = None
    degraded_reason: str | None = None
    cost_usd: float | None = Field(default=None, description="USD at list prices; 0 when `cached`.")
    usage: dict[str, int] = Field(
        default_factory=dict,
        description="Tokens: input_tokens (cached included), output_tokens, cache_read_tokens "
        "(provider prompt cache, billed at the cached rate), cache_write_tokens.",
    )
    cached: bool = Field(default=False, description="True: served from the response cache, no provider call.")


def ai_headers(served: ServedBy) -> dict[str, str]:
    return {
        "X-AI-Provider": served.provider,
        "X-AI-Model": served.model,
        "X-AI-Failover": str(served.failover).lower(),
        "X-AI-Degraded": str(served.degraded).lower(),
        "X-AI-Cached": str(served.cached).lower(),
    }


def ai_json(body: BaseModel, served: ServedBy, status_code: int = 200) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=ai_headers(served))


def wants_stream(request: Request, stream: bool) -> bool:
    """`stream: true` in the body or `Accept: text/event-stream`."""
    return stream or "text/event-stream" in request.headers.get("accept", "")


def _sse(name: str, data: dict[str, Any]) -> dict[str, str]:
    return {"event": name, "data": json.dumps(data, default=str)}


async def sse_response(events: AsyncIterator[Event]) -> Response:
    """Stream `events` as SSE; errors before the first event propagate (404/503 JSON)."""
    try:
        first = await anext(events)
    except StopAsyncIteration:
        first = None
    except NotFoundError as error:
        raise not_found(error) from None

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            if first is not None:
                yield _sse(*first)
            async for name, data in events:
                yield _sse(name, data)
        except StreamInterruptedError as error:
            yield _sse("error", error_body(error, STREAM_INTERRUPTED))
        except HybridProviderError as error:
            yield _sse("error", error_body(error, AI_UNAVAILABLE))
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    headers: dict[str, str] = {}
    if first is not None and first[0] == "done" and first[1].get("provider"):
        headers["X-AI-Provider"] = str(first[1]["provider"])
    return EventSourceResponse(stream(), headers=headers)
