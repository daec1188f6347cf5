"""OpenAI Chat Completions / Models / Embeddings emulator.

Why so literal: the ``openai`` SDK and ``langchain_openai.ChatOpenAI`` parse these
payloads (and ``chat.completions.parse`` validates structured output), so every field
the SDK reads is present with the real shape.  Answer content follows
:mod:`emulators.content`.

Routes (with or without the ``/v1`` prefix): ``POST /v1/chat/completions``,
``GET /v1/models``, ``GET /v1/models/{id}``, ``POST /v1/embeddings``.  A missing/empty
``Authorization: Bearer`` key -- or a key containing ``invalid`` -- answers 401.

A conversation ending with an assistant message is accepted, as OpenAI accepts it: the
model answers it afresh (it does not continue that message).  A request carrying vLLM's
``continue_final_message: true`` is answered the way vLLM (and llama.cpp, Ollama, LM
Studio for a final assistant turn) answers it: the final message is continued
(:func:`emulators.content.continuation`).  The ``reject_prefill`` fault turns such a
request into a 400, as servers whose chat template cannot continue a message answer.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import time
from typing import Any

from emulators import content, prompt_cache
from emulators.content import Conversation, IdFactory, ToolChoice, ToolSpec
from emulators.errors import openai_error, openai_stream_error
from emulators.faults import Fault
from emulators.wire import EmulatorRequest, JsonResponse, SseEvent, StreamResponse, encode_json

PROVIDER = "openai"
DEFAULT_EMBEDDING_DIMENSIONS = 256
MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "text-embedding-3-small")


class OpenAIApp:
    """Provider app for :class:`emulators.http.EmulatorServer`."""

    provider = PROVIDER

    def __init__(self, seed: str = "openai") -> None:
        self.ids = IdFactory(seed)
        self.prompt_cache = prompt_cache.PrefixStore()

    def forget_prompt_cache(self) -> None:
        """Forget cached prefixes (part of the control ``reset``)."""
        self.prompt_cache.clear()

    # ------------------------------------------------------------------ routing
    def handle(self, request: EmulatorRequest) -> JsonResponse | StreamResponse:
        """Route one request (auth first, as the real API does)."""
        path = request.path.removeprefix("/v1")
        auth = self._check_auth(request)
        if auth is not None:
            return auth
        if request.method == "POST" and path == "/chat/completions":
            return self._chat(request)
        if request.method == "POST" and path == "/embeddings":
            return self._embeddings(request)
        if request.method == "GET" and path == "/models":
            return self._json(200, {"object": "list", "data": [_model(m) for m in MODELS]})
        if request.method == "GET" and path.startswith("/models/"):
            return self._json(200, _model(path.removeprefix("/models/")))
        return self._error(404, None, message=f"Invalid URL ({request.method} {request.path})")

    def fault_error(self, fault: Fault, request: EmulatorRequest) -> JsonResponse:
        """Error response for an injected status / error_type."""
        body = request.json if isinstance(request.json, dict) else {}
        model = str(body.get("model", "gpt-4o"))
        tokens = content.count_tokens(body.get("messages"), body.get("tools"))
        return self._error(fault.status, fault.error_type, model=model, tokens=tokens)

    def stream_error(self, fault: Fault) -> bytes:
        """In-stream error chunk: ``data: {"error": {...}}``."""
        return _sse(openai_stream_error(fault.error_type))

    # ---------------------------------------------------------------- helpers
    def _headers(self) -> dict[str, str]:
        return {
            "x-request-id": self.ids.make("req_", 32),
            "openai-processing-ms": "1",
            "openai-version": "2020-10-01",
            "openai-organization": "emulator",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-limit-tokens": "30000000",
            "x-ratelimit-remaining-requests": "9999",
            "x-ratelimit-remaining-tokens": "29999000",
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-reset-tokens": "0s",
        }

    def _json(self, status: int, body: Any) -> JsonResponse:
        return JsonResponse(status, body, self._headers())

    def _error(
        self,
        status: int | None,
        error_type: str | None,
        *,
        message: str | None = None,
        param: str | None = None,
        code: str | None = None,
        model: str = "gpt-4o",
        tokens: int = 0,
        key: str = "sk-****",
    ) -> JsonResponse:
        final_status, body = openai_error(
            status,
            error_type,
            model=model,
            tokens=tokens,
            key=key,
            message=message,
            param=param,
            code=code,
        )
        return self._json(final_status, body)

    def _check_auth(self, request: EmulatorRequest) -> JsonResponse | None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return self._error(
                401,
                None,
                message="You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if "invalid" in key.lower():
            masked = key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else "sk-****"
            return self._error(401, None, key=masked)
        return None

    def _body_or_error(self, request: EmulatorRequest) -> dict[str, Any] | JsonResponse:
        if request.json_error is not None or not isinstance(request.json, dict):
            return self._error(
                400,
                None,
                message="We could not parse the JSON body of your request. (HINT: This likely "
                "means you aren't using your HTTP library correctly. The OpenAI API expects a "
                "JSON payload, but what was sent was not valid JSON.)",
            )
        return request.json

    # ------------------------------------------------------------------- chat
    def _chat(self, request: EmulatorRequest) -> JsonResponse | StreamResponse:
        body = self._body_or_error(request)
        if isinstance(body, JsonResponse):
            return body
        if not body.get("model"):
            return self._error(400, None, message="you must provide a model parameter")
        messages = body.get("messages")
        if not isinstance(messages, list):
            return self._error(
                400,
                None,
                message="Missing required parameter: 'messages'.",
                param="messages",
                code="missing_required_parameter",
            )
        if not messages:
            return self._error(
                400,
                None,
                message="Invalid 'messages': empty array. Expected an array with minimum "
                "length 1, but got an empty array instead.",
                param="messages",
                code="empty_array",
            )
        model = str(body["model"])
        conv = _conversation(body, model)
        fault = request.fault
        if conv.prefill is not None and fault is not None and fault.reject_prefill:
            return self._error(
                400,
                None,
                message="continue_final_message is not supported by this model's chat template.",
                param="messages",
            )
        answer = content.compose_answer(conv)
        if fault is not None:
            answer = content.shape_answer(answer, fault.truncate_after, fault.content_filter_after)
        prompt_tokens = content.count_tokens(messages, body.get("tools"), body.get("functions"))
        cached_tokens = prompt_cache.openai_cached_tokens(self.prompt_cache, body, model, prompt_tokens)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "total_tokens": prompt_tokens + answer.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        completion_id = self.ids.make("chatcmpl-", 29)
        call_id = self.ids.make("call_", 24) if answer.tool else None
        finish = {
            "tool": "tool_calls", "length": "length", "content_filter": "content_filter"
        }.get(answer.finish, "stop")
        if body.get("stream"):
            options = body.get("stream_options") or {}
            include_usage = bool(options.get("include_usage")) if isinstance(options, dict) else False
            events = _stream_events(
                completion_id, model, answer, call_id, finish, usage if include_usage else None
            )
            return StreamResponse(events, self._headers())
        message: dict[str, Any] = {
            "role": "assistant",
            "content": answer.text,
            "refusal": None,
            "annotations": [],
        }
        if answer.tool is not None:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": answer.tool.name, "arguments": answer.arguments_json},
                }
            ]
        return self._json(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_emulator",
            },
        )

    # ------------------------------------------------------------- embeddings
    def _embeddings(self, request: EmulatorRequest) -> JsonResponse:
        body = self._body_or_error(request)
        if isinstance(body, JsonResponse):
            return body
        raw = body.get("input")
        if raw is None or raw == "" or raw == []:
            return self._error(
                400, None, message="'input' : input must be a string or an array of strings",
                param="input",
            )
        inputs: list[Any] = [raw] if isinstance(raw, str) else list(raw)
        if inputs and all(isinstance(i, int) for i in inputs):
            inputs = [inputs]  # a single pre-tokenised input
        dimensions = int(body.get("dimensions") or DEFAULT_EMBEDDING_DIMENSIONS)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(inputs):
            text = item if isinstance(item, str) else " ".join(str(t) for t in item)
            vector = embed(text, dimensions)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode("ascii")
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = content.count_tokens(inputs if all(isinstance(i, str) for i in inputs) else [])
        return self._json(
            200,
            {
                "object": "list",
                "data": data,
                "model": str(body.get("model", "text-embedding-3-small")),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )


def embed(text: str, dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS) -> list[float]:
    """Deterministic unit vector: SHA-256 counter-mode bytes mapped to [-1, 1], normalised."""
    values: list[float] = []
    block = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{block}:{text}".encode()).digest()
        values.extend((b / 127.5) - 1.0 for b in digest)
        block += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "emulator"}


def _text_of(value: Any) -> str:
    """Text of a message ``content``: a string or the text parts of a part list."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [p.get("text", "") for p in value if isinstance(p, dict) and "text" in p]
        return "\n".join(str(p) for p in parts)
    return ""


def _conversation(body: dict[str, Any], model: str) -> Conversation:
    messages = [m for m in body["messages"] if isinstance(m, dict)]
    last = messages[-1] if messages else {}
    role = last.get("role")
    user_texts = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    tools: list[ToolSpec] = []
    for tool in body.get("tools") or []:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(fn, dict) and fn.get("name"):
            tools.append(ToolSpec(fn["name"], fn.get("description", ""), fn.get("parameters") or {}))
    for fn in body.get("functions") or []:  # legacy function calling
        if isinstance(fn, dict) and fn.get("name"):
            tools.append(ToolSpec(fn["name"], fn.get("description", ""), fn.get("parameters") or {}))
    choice = _tool_choice(body.get("tool_choice", body.get("function_call")))
    response_format = body.get("response_format") or {}
    schema: dict[str, Any] | None = None
    structured = False
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_schema":
            structured = True
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema") or {"type": "object"}
        elif response_format.get("type") == "json_object":
            structured = True
    stop = body.get("stop")
    stops = (stop,) if isinstance(stop, str) else tuple(s for s in stop or [] if isinstance(s, str))
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    prefill = (
        _text_of(last.get("content"))
        if role == "assistant" and body.get("continue_final_message") is True
        else None
    )
    return Conversation(
        provider=PROVIDER,
        model=model,
        last_user_text=user_texts[-1] if user_texts else None,
        last_is_user=role == "user",
        tool_result=_text_of(last.get("content")) if role in ("tool", "function") else None,
        tools=tools,
        choice=choice,
        schema=schema,
        structured=structured,
        max_tokens=int(max_tokens) if isinstance(max_tokens, int | float) else None,
        stops=stops,
        prompt_texts=tuple(
            _text_of(m.get("content"))
            for m in messages
            if m.get("role") in ("system", "developer", "user")
        ),
        prefill=prefill,
    )


def _tool_choice(raw: Any) -> ToolChoice:
    if raw == "none":
        return ToolChoice("none")
    if raw == "required":
        return ToolChoice("any")
    if isinstance(raw, dict):
        fn = raw.get("function") if isinstance(raw.get("function"), dict) else raw
        name = fn.get("name") if isinstance(fn, dict) else None
        if name:
            return ToolChoice("tool", str(name))
    return ToolChoice("auto")


def _sse(payload: Any) -> bytes:
    return b"data: " + encode_json(payload) + b"\n\n"


def _stream_events(
    completion_id: str,
    model: str,
    answer: content.Answer,
    call_id: str | None,
    finish: str,
    usage: dict[str, Any] | None,
) -> list[SseEvent]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_emulator",
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if usage is not None:
            payload["usage"] = None
        return payload

    events = [SseEvent(_sse(chunk({"role": "assistant", "content": "", "refusal": None})), "head")]
    if answer.tool is not None:
        start = {
            "index": 0,
            "id": call_id,
            "type": "function",
            "function": {"name": answer.tool.name, "arguments": ""},
        }
        events.append(SseEvent(_sse(chunk({"tool_calls": [start]})), "head"))
        for piece in content.json_pieces(answer.arguments_json):
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            events.append(SseEvent(_sse(chunk(delta)), "token"))
    else:
        for token in answer.tokens:
            events.append(SseEvent(_sse(chunk({"content": token})), "token"))
    events.append(SseEvent(_sse(chunk({}, finish)), "tail"))
    if usage is not None:
        final = chunk({})
        final["choices"] = []
        final["usage"] = usage
        events.append(SseEvent(_sse(final), "tail"))
    events.append(SseEvent(b"data: [DONE]\n\n", "tail"))
    return events
