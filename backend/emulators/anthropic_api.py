"""Anthropic Messages API emulator.

Why so literal: the ``anthropic`` SDK (including its stream accumulator) and
``langchain_anthropic.ChatAnthropic`` read these payloads; LangChain takes the final
usage from ``message_delta`` (so it carries input and output tokens).  Answer content
follows :mod:`emulators.content`.

Routes (query strings such as ``?beta=true`` are ignored): ``POST /v1/messages``,
``POST /v1/messages/count_tokens``, ``GET /v1/models``.  Auth: ``x-api-key`` (or an
``Authorization: Bearer`` token); missing/empty -- or containing ``invalid`` -- is a
401 ``authentication_error``.  ``max_tokens`` is required, as in the real API.

Prefill, as the Messages API does it: a conversation ending with an ``assistant`` turn
is continued from that turn's text (the reply holds only the new text; see
:func:`emulators.content.continuation`).  A final assistant turn ending in whitespace
is a 400 (``final assistant content cannot end with trailing whitespace``), and the
models that do not support prefill (Claude 4.6 and later, and any model under the
``reject_prefill`` fault) answer it with Anthropic's 400 ``invalid_request_error``.
"""

from __future__ import annotations

from typing import Any

from emulators import content, prompt_cache
from emulators.content import Conversation, IdFactory, ToolChoice, ToolSpec
from emulators.errors import anthropic_error, anthropic_stream_error
from emulators.faults import Fault
from emulators.wire import EmulatorRequest, JsonResponse, SseEvent, StreamResponse, encode_json

PROVIDER = "anthropic"
MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-opus-4-6")
#: Models that refuse a prefilled final assistant turn (Claude 4.6 and later).
NO_PREFILL_MODELS = frozenset({"claude-opus-4-6", "claude-sonnet-4-6"})
TRAILING_WHITESPACE_MESSAGE = "messages: final assistant content cannot end with trailing whitespace"
NO_PREFILL_MESSAGE = (
    "This model does not support assistant message prefill. "
    "The conversation must end with a user message."
)
_STOP_REASONS = {
    "tool": "tool_use",
    "length": "max_tokens",
    "stop_sequence": "stop_sequence",
    "stop": "end_turn",
    "content_filter": "refusal",
}


class AnthropicApp:
    """Provider app for :class:`emulators.http.EmulatorServer`."""

    provider = PROVIDER

    def __init__(self, seed: str = "anthropic") -> None:
        self.ids = IdFactory(seed)
        self.prompt_cache = prompt_cache.PrefixStore()

    def forget_prompt_cache(self) -> None:
        """Forget cached prefixes (part of the control ``reset``)."""
        self.prompt_cache.clear()

    # ------------------------------------------------------------------ routing
    def handle(self, request: EmulatorRequest) -> JsonResponse | StreamResponse:
        """Route one request (auth first, as the real API does)."""
        request_id = self.ids.make("req_011C", 20)
        auth = self._check_auth(request, request_id)
        if auth is not None:
            return auth
        path = request.path.rstrip("/")
        if request.method == "POST" and path == "/v1/messages":
            return self._messages(request, request_id)
        if request.method == "POST" and path == "/v1/messages/count_tokens":
            return self._count_tokens(request, request_id)
        if request.method == "GET" and path == "/v1/models":
            data = [
                {
                    "type": "model",
                    "id": m,
                    "display_name": m,
                    "created_at": "2025-01-01T00:00:00Z",
                }
                for m in MODELS
            ]
            body = {"data": data, "has_more": False, "first_id": MODELS[0], "last_id": MODELS[-1]}
            return JsonResponse(200, body, self._headers(request_id))
        return self._error(404, None, request_id, message="Not Found")

    def fault_error(self, fault: Fault, request: EmulatorRequest) -> JsonResponse:
        """Error response for an injected status / error_type."""
        body = request.json if isinstance(request.json, dict) else {}
        return self._error(
            fault.status,
            fault.error_type,
            self.ids.make("req_011C", 20),
            model=str(body.get("model", "claude")),
            tokens=content.count_tokens(body.get("messages"), body.get("system")),
        )

    def stream_error(self, fault: Fault) -> bytes:
        """In-stream ``event: error`` (default ``overloaded_error``)."""
        return _event("error", anthropic_stream_error(fault.error_type))

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _headers(request_id: str) -> dict[str, str]:
        return {
            "request-id": request_id,
            "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
            "anthropic-ratelimit-requests-limit": "4000",
            "anthropic-ratelimit-requests-remaining": "3999",
            "anthropic-ratelimit-requests-reset": "2025-01-01T00:00:00Z",
            "anthropic-ratelimit-tokens-limit": "400000",
            "anthropic-ratelimit-tokens-remaining": "399000",
            "anthropic-ratelimit-tokens-reset": "2025-01-01T00:00:00Z",
        }

    def _error(
        self,
        status: int | None,
        error_type: str | None,
        request_id: str,
        *,
        message: str | None = None,
        model: str = "claude",
        tokens: int = 0,
    ) -> JsonResponse:
        final_status, body = anthropic_error(
            status, error_type, request_id=request_id, model=model, tokens=tokens, message=message
        )
        return JsonResponse(final_status, body, self._headers(request_id))

    def _check_auth(self, request: EmulatorRequest, request_id: str) -> JsonResponse | None:
        key = request.headers.get("x-api-key", "").strip()
        if not key:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else ""
        if not key:
            return self._error(401, None, request_id, message="x-api-key header is required")
        if "invalid" in key.lower():
            return self._error(401, None, request_id, message="invalid x-api-key")
        return None

    def _validated(
        self, request: EmulatorRequest, request_id: str, need_max_tokens: bool
    ) -> dict[str, Any] | JsonResponse:
        if request.json_error is not None or not isinstance(request.json, dict):
            return self._error(
                400, None, request_id, message="There was an error parsing the body of your request."
            )
        body: dict[str, Any] = request.json
        for field in ("model", "messages") + (("max_tokens",) if need_max_tokens else ()):
            if field not in body or body[field] is None:
                return self._error(400, None, request_id, message=f"{field}: Field required")
        if not isinstance(body["messages"], list) or not body["messages"]:
            return self._error(
                400, None, request_id, message="messages: at least one message is required"
            )
        return body

    # ------------------------------------------------------------- endpoints
    def _count_tokens(self, request: EmulatorRequest, request_id: str) -> JsonResponse:
        body = self._validated(request, request_id, need_max_tokens=False)
        if isinstance(body, JsonResponse):
            return body
        tokens = content.count_tokens(body["messages"], body.get("system"), body.get("tools"))
        return JsonResponse(200, {"input_tokens": tokens}, self._headers(request_id))

    def _messages(
        self, request: EmulatorRequest, request_id: str
    ) -> JsonResponse | StreamResponse:
        body = self._validated(request, request_id, need_max_tokens=True)
        if isinstance(body, JsonResponse):
            return body
        model = str(body["model"])
        breakpoints = prompt_cache.count_anthropic_breakpoints(body)
        if breakpoints > prompt_cache.ANTHROPIC_MAX_BREAKPOINTS:
            return self._error(
                400, None, request_id,
                message="A maximum of 4 blocks with cache_control may be provided. "
                f"Found {breakpoints}.",
            )
        conv = _conversation(body, model)
        fault = request.fault
        if conv.prefill is not None:
            if conv.prefill != conv.prefill.rstrip():
                return self._error(400, None, request_id, message=TRAILING_WHITESPACE_MESSAGE)
            if model in NO_PREFILL_MODELS or (fault is not None and fault.reject_prefill):
                return self._error(400, None, request_id, message=NO_PREFILL_MESSAGE)
        answer = content.compose_answer(conv)
        if fault is not None:
            answer = content.shape_answer(answer, fault.truncate_after, fault.content_filter_after)
        cache = prompt_cache.anthropic_usage(self.prompt_cache, body, model)
        unmarked = prompt_cache.strip_cache_control(body)
        prompt_tokens = content.count_tokens(
            unmarked["messages"], unmarked.get("system"), unmarked.get("tools")
        )
        input_tokens = max(prompt_tokens - cache.read - cache.written, 0)
        message_id = self.ids.make("msg_01", 22)
        block: dict[str, Any]
        if answer.tool is not None:
            block = {
                "type": "tool_use",
                "id": self.ids.make("toolu_01", 22),
                "name": answer.tool.name,
                "input": answer.arguments,
            }
        else:
            block = {"type": "text", "text": answer.text or ""}
        stop_reason = _STOP_REASONS[answer.finish]
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": answer.completion_tokens,
            "cache_creation_input_tokens": cache.written,
            "cache_read_input_tokens": cache.read,
            "service_tier": "standard",
        }
        headers = self._headers(request_id)
        if body.get("stream"):
            events = _stream_events(message_id, model, block, answer, stop_reason, usage)
            return StreamResponse(events, headers)
        message = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": stop_reason,
            "stop_sequence": answer.stop_sequence,
            "usage": usage,
        }
        return JsonResponse(200, message, headers)


def _text_of(value: Any, include_tool_results: bool = False) -> str:
    """Text of a message/system ``content`` (string or block list)."""
    if isinstance(value, str):
        return value
    parts: list[str] = []
    if isinstance(value, list):
        for block in value:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif include_tool_results and block.get("type") == "tool_result":
                parts.append(_text_of(block.get("content")))
    return "\n".join(parts)


def _tool_results(value: Any) -> str | None:
    if not isinstance(value, list):
        return None
    results = [b for b in value if isinstance(b, dict) and b.get("type") == "tool_result"]
    if not results:
        return None
    return "\n".join(_text_of(b.get("content")) for b in results)


def _conversation(body: dict[str, Any], model: str) -> Conversation:
    messages = [m for m in body["messages"] if isinstance(m, dict)]
    last = messages[-1] if messages else {}
    tool_result = _tool_results(last.get("content")) if last.get("role") == "user" else None
    user_texts = [
        _text_of(m.get("content"))
        for m in messages
        if m.get("role") == "user" and _tool_results(m.get("content")) is None
    ]
    tools = [
        ToolSpec(t["name"], t.get("description", ""), t.get("input_schema") or {})
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("name") and "input_schema" in t
    ]
    raw_choice = body.get("tool_choice") or {}
    mode = raw_choice.get("type", "auto") if isinstance(raw_choice, dict) else "auto"
    choice = ToolChoice(
        mode if mode in ("auto", "any", "tool", "none") else "auto",
        raw_choice.get("name") if isinstance(raw_choice, dict) else None,
    )
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format")
    structured = isinstance(fmt, dict) and fmt.get("type") == "json_schema"
    schema = fmt.get("schema") if structured and isinstance(fmt, dict) else None
    stops = tuple(s for s in body.get("stop_sequences") or [] if isinstance(s, str))
    max_tokens = body.get("max_tokens")
    prefill = _text_of(last.get("content")) if last.get("role") == "assistant" else None
    return Conversation(
        provider=PROVIDER,
        model=model,
        last_user_text=user_texts[-1] if user_texts else None,
        last_is_user=last.get("role") == "user" and tool_result is None,
        tool_result=tool_result,
        tools=tools,
        choice=choice,
        schema=schema,
        structured=structured,
        max_tokens=int(max_tokens) if isinstance(max_tokens, int | float) else None,
        stops=stops,
        prompt_texts=(_text_of(body.get("system")), *user_texts),
        prefill=prefill,
    )


def _event(name: str, payload: Any) -> bytes:
    return b"event: " + name.encode("ascii") + b"\ndata: " + encode_json(payload) + b"\n\n"


def _stream_events(
    message_id: str,
    model: str,
    block: dict[str, Any],
    answer: content.Answer,
    stop_reason: str,
    usage: dict[str, Any],
) -> list[SseEvent]:
    start_message: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [SseEvent(_event("message_start", {"type": "message_start", "message": start_message}), "head")]
    if block["type"] == "tool_use":
        start_block = {**block, "input": {}}
        pieces = content.json_pieces(answer.arguments_json)  # cut by the limit: partial JSON
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
    else:
        start_block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": t} for t in answer.tokens]
    events.append(
        SseEvent(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": start_block},
            ),
            "head",
        )
    )
    events.append(SseEvent(_event("ping", {"type": "ping"}), "head"))
    for delta in deltas:
        payload = {"type": "content_block_delta", "index": 0, "delta": delta}
        events.append(SseEvent(_event("content_block_delta", payload), "token"))
    events.append(
        SseEvent(_event("content_block_stop", {"type": "content_block_stop", "index": 0}), "tail")
    )
    final_usage = {k: v for k, v in usage.items() if k != "service_tier"}
    message_delta = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": answer.stop_sequence},
        "usage": final_usage,
    }
    events.append(SseEvent(_event("message_delta", message_delta), "tail"))
    events.append(SseEvent(_event("message_stop", {"type": "message_stop"}), "tail"))
    return events
