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
from pydantic import BaseModel, Field, StrictBool
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
    truncated: bool = Field(
        default=False,
        description="True: the output limit cut the answer and no continuation completed it "
        "(`finish_reason` says which limit).",
    )
    finish_reason: str | None = Field(default=None, description="How the provider ended the answer.")
    resumed: bool = Field(
        default=False, description="True: a stream cut after content was continued on another provider."
    )
    restarted: bool = Field(
        default=False,
        description="True: no provider could continue a cut stream, so the answer started again on "
        "the next one (streams sent a `restart` event first).",
    )
    continuations: int = Field(default=0, description="Times the output limit cut the answer and it went on.")
    failover_reason: str | None = Field(
        default=None, description="Why not the routing order's first provider (e.g. `circuit_open`)."
    )
    skipped: list[dict[str, str]] = Field(
        default_factory=list, description="Providers skipped before any attempt, with the reason."
    )


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


SSE_MEDIA_TYPE = "text/event-stream"
JSON_MEDIA_TYPE = "application/json"

#: The `stream` field of every SSE-capable request body: a JSON boolean or absent.
StreamFlag = Annotated[
    StrictBool | None,
    Field(
        default=None,
        description="true: Server-Sent Events; false: one JSON body. Absent: decided by the "
        "Accept header (SSE when it asks for text/event-stream with q > 0 at least as "
        "strongly as application/json). Only JSON booleans are accepted.",
    ),
]


def _accept_weights(header: str) -> dict[str, float]:
    """Media type -> q of an Accept header (RFC 9110 §12.5.1); malformed q counts as 0.

    Hand-written because it is a dozen lines and no dependency we ship parses Accept.
    """
    weights: dict[str, float] = {}
    for item in header.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        weights[media] = max(weights.get(media, 0.0), q)
    return weights


def wants_stream(request: Request, stream: bool | None) -> bool:
    """The one streaming rule of every SSE-capable route (documented in docs/API.md).

    An explicit `stream` in the body wins. Without it, the Accept header decides: SSE
    only when it names `text/event-stream` with q > 0 and does not weigh
    `application/json` higher; wildcards never select SSE.
    """
    if stream is not None:
        return stream
    weights = _accept_weights(request.headers.get("accept", ""))
    sse = weights.get(SSE_MEDIA_TYPE, 0.0)
    return sse > 0 and sse >= weights.get(JSON_MEDIA_TYPE, 0.0)


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
