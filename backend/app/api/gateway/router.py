"""`/v1`: the OpenAI- and Anthropic-compatible gateway, served by the same app as `/api/v1`.

`POST /v1/chat/completions` speaks OpenAI's Chat Completions wire, `POST /v1/messages`
Anthropic's Messages wire, `GET /v1/models` lists what a caller may name. Any official
SDK works by pointing its base URL here; behind it every call gets Tandem's failover.

The bodies are read and validated here (not by FastAPI) so that every refusal -- bad
JSON, a bad field, a missing key, an unknown model -- is answered in the caller's own
wire format with the status that provider would use, never FastAPI's 422 shape.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.ai.gateway import anthropic_wire, failures, openai_wire
from app.ai.gateway.calls import ChatRequest, Gateway, PreparedCall
from app.ai.gateway.failures import Failure, from_provider_error
from app.ai.gateway.openai_wire import InvalidRequest
from app.ai.gateway.routes import UnknownModelError
from app.ai.gateway.streaming import StreamEncoder, coalesced, open_stream
from app.ai.providers.errors import HybridProviderError
from app.api.gateway.event_stream import EventStreamResponse
from app.api.gateway.keys import GatewayRefusal, KeyGate, VirtualKey
from app.core.request_context import get_request_id
from app.security.rate_limit import limiter_for

router = APIRouter(prefix="/v1", tags=["gateway"])


@dataclass(frozen=True, slots=True)
class Wire:
    """How one wire reads requests and writes answers and errors."""

    name: str
    parse: Callable[[Any], tuple[ChatRequest, bool]]
    answer: Callable[[Any, str], dict[str, Any]]
    encoder: Callable[[str, bool], StreamEncoder]
    error: Callable[[Failure], dict[str, Any]]


OPENAI = Wire(
    "openai",
    openai_wire.parse_request,
    openai_wire.completion_body,
    openai_wire.OpenAIStreamEncoder,
    openai_wire.error_body,
)
ANTHROPIC = Wire(
    "anthropic",
    lambda raw: (anthropic_wire.parse_request(raw), False),
    anthropic_wire.message_body,
    lambda model, _usage: anthropic_wire.AnthropicStreamEncoder(model),
    lambda failure: anthropic_wire.error_body(failure, get_request_id()),
)


def _gateway(request: Request) -> tuple[Gateway, KeyGate]:
    state = request.app.state
    gateway: Gateway | None = getattr(state, "gateway", None)
    gate: KeyGate | None = getattr(state, "gateway_keys", None)
    if gateway is None or gate is None:
        gateway = state.gateway = Gateway(state.settings, state.ai_runtime)
        gate = state.gateway_keys = KeyGate(state.settings, limiter_for(request))
    return gateway, gate


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


def _refuse(wire: Wire, failure: Failure) -> Response:
    return _json(wire.error(failure), failure.status, failure.headers())


def _served_headers(provider: str, failover: bool, attempts: int) -> dict[str, str]:
    return {
        "x-tandem-provider": provider,
        "x-tandem-failover": "true" if failover else "false",
        "x-tandem-attempts": str(attempts),
    }


async def _read(request: Request, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise GatewayRefusal(
            Failure(
                failures.TOO_LARGE,
                413,
                f"Request body of {declared} bytes is over the limit of {limit} (GATEWAY_MAX_REQUEST_BYTES).",
                "request_too_large",
            )
        )
    body = await request.body()
    if len(body) > limit:
        raise GatewayRefusal(
            Failure(
                failures.TOO_LARGE,
                413,
                f"Request body is over the limit of {limit} bytes (GATEWAY_MAX_REQUEST_BYTES).",
                "request_too_large",
            )
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise GatewayRefusal(
            Failure(failures.INVALID, 400, f"The body is not valid JSON: {error}", "invalid_json")
        ) from None


def _check_routes(key: VirtualKey, request: ChatRequest) -> None:
    names = [request.model, *(request.fallbacks or [])]
    refused = [n for n in names if not key.allows(n)]
    if refused:
        raise GatewayRefusal(
            Failure(
                failures.PERMISSION,
                403,
                f"This API key may not use {refused[0]!r}; allowed: {', '.join(sorted(key.routes or ()))}.",
                "route_not_allowed",
                "model",
            )
        )


async def _serve(request: Request, wire: Wire) -> Response:
    gateway, gate = _gateway(request)
    lease = None
    try:
        key = await gate.authenticate(request.headers.get("authorization"), request.headers.get("x-api-key"))
        limit = gateway.settings.GATEWAY_MAX_REQUEST_BYTES
        chat, include_usage = wire.parse(await _read(request, limit))
        _check_routes(key, chat)
        try:
            call = gateway.prepare(chat, {"client": key.name, "client_id": key.client_id, "wire": wire.name})
        except UnknownModelError as error:
            raise GatewayRefusal(
                Failure(
                    failures.NOT_FOUND,
                    404,
                    f"The model {error.args[0]!r} does not "
                    "exist: name a route (GET /v1/models) or a provider's model.",
                    "model_not_found",
                    "model",
                )
            ) from None
        lease = gate.admit(key)
        if chat.stream:
            response = await _stream(call, wire, gate, key, lease, include_usage)
            lease = None  # released when the stream ends
            return response
        try:
            answer = await call.invoke()
        except HybridProviderError as error:
            failure = from_provider_error(error)
            return _json(wire.error(failure), failure.status, {**failure.headers(), **_failed_headers(call)})
        meta = answer.response_metadata.get("hybrid") or {}
        gate.charge(key, meta.get("cost_usd"))
        served = meta.get("model") or chat.model
        headers = _served_headers(
            meta.get("provider", ""), bool(meta.get("failover")), len(meta.get("attempts") or ())
        )
        return _json(wire.answer(answer, served), 200, headers)
    except (GatewayRefusal, InvalidRequest) as refusal:
        return _refuse(wire, refusal.failure)
    except HybridProviderError as error:
        return _refuse(wire, from_provider_error(error))
    finally:
        gate.release(lease)


def _failed_headers(call: PreparedCall) -> dict[str, str]:
    return {"x-tandem-attempts": str(len(call.attempts))}


async def _stream(
    call: PreparedCall, wire: Wire, gate: KeyGate, key: VirtualKey, lease: Any, include_usage: bool
) -> Response:
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            gate.release(lease)

    def done(meta: dict[str, Any] | None) -> None:
        if meta:
            gate.charge(key, meta.get("cost_usd"))

    try:
        opened = await open_stream(call, lambda model: wire.encoder(model, include_usage), done)
    except HybridProviderError as error:
        release()
        failure = from_provider_error(error)
        return _json(wire.error(failure), failure.status, {**failure.headers(), **_failed_headers(call)})
    except BaseException:
        release()
        raise

    async def body() -> AsyncIterator[bytes]:
        try:
            async for part in coalesced(opened.body):
                yield part
        finally:
            release()

    first = call.model.members[0].name if call.model.members else ""
    headers = _served_headers(
        opened.provider, opened.provider != first or opened.attempts > 1, opened.attempts
    )
    headers["cache-control"] = "no-cache"
    return EventStreamResponse(body(), headers=headers)


@router.post("/chat/completions", summary="OpenAI Chat Completions wire")
async def chat_completions(request: Request) -> Response:
    """Any OpenAI SDK: `base_url=<server>/v1`, the API key as the SDK's `api_key`."""
    return await _serve(request, OPENAI)


@router.post("/messages", summary="Anthropic Messages wire")
async def messages(request: Request) -> Response:
    """Any Anthropic SDK: `base_url=<server>`, the API key as the SDK's `api_key`."""
    return await _serve(request, ANTHROPIC)


@router.get("/models", summary="Routes and models a caller may name")
async def models(request: Request) -> Response:
    """OpenAI's model list shape (`{"object": "list", "data": [...]}`), filtered by the key."""
    gateway, gate = _gateway(request)
    wire = ANTHROPIC if "anthropic-version" in request.headers else OPENAI
    try:
        key = await gate.authenticate(request.headers.get("authorization"), request.headers.get("x-api-key"))
    except GatewayRefusal as refusal:
        return _refuse(wire, refusal.failure)
    created = int(time.time())
    data = [
        {
            "id": name,
            "object": "model",
            "created": created,
            "owned_by": owner,
            "type": "model",
            "display_name": name,
            "created_at": "1970-01-01T00:00:00Z",
        }
        for name, owner in gateway.routes.listing()
        if key.allows(name)
    ]
    body: dict[str, Any] = {"object": "list", "data": data}
    if wire is ANTHROPIC:
        body.update(
            {
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )
    return _json(body)
