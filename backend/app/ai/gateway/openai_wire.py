"""The OpenAI Chat Completions wire: request in, `chat.completion` / chunks / errors out.

Messages are read by LangChain's own converter (`convert_to_messages` takes OpenAI's
message dicts: roles, text parts, `tool_calls`, `tool` results) and the answer written
by `convert_to_openai_messages`; tool definitions go untouched to each provider's
`bind_tools`. What is written here is only the envelope OpenAI puts around them
(ids, `choices`, `usage`, chunk framing), which no library builds for a server.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

import orjson
from langchain_core.messages import AIMessage, convert_to_messages, convert_to_openai_messages
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.ai.gateway import failures
from app.ai.gateway.calls import ChatRequest, JsonFormat
from app.ai.gateway.failures import Failure
from app.ai.gateway.streaming import Delta, neutral_finish


class _Function(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class _Tool(BaseModel):
    type: Literal["function"]
    function: _Function


class _ToolCallFunction(BaseModel):
    name: str
    arguments: str


class _ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: _ToolCallFunction


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[_ToolCall] | None = None
    tool_call_id: str | None = None

    @field_validator("content")
    @classmethod
    def _parts_have_types(cls, value: Any) -> Any:
        if isinstance(value, list) and not all(isinstance(p.get("type"), str) for p in value):
            raise ValueError("every content part needs a 'type'")
        return value


class _ResponseFormat(BaseModel):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class ChatCompletionBody(BaseModel):
    """The request fields this gateway reads; others OpenAI defines are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    messages: list[_Message] = Field(min_length=1)
    tools: list[_Tool] | None = None
    tool_choice: Literal["auto", "none", "required"] | dict[str, Any] | None = None
    response_format: _ResponseFormat | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    user: str | None = None
    n: int | None = Field(default=None, ge=1, le=1, description="Only one choice is supported.")
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    fallbacks: list[str] | None = Field(default=None, max_length=10)


def parse_request(raw: Any) -> tuple[ChatRequest, bool]:
    """The neutral request and whether the caller asked for usage in the stream.

    Raises `InvalidRequest` (a 400 naming the parameter) on anything malformed.
    """
    try:
        body = ChatCompletionBody.model_validate(raw)
    except ValidationError as error:
        raise InvalidRequest(_first_problem(error)) from None
    for index, message in enumerate(body.messages):
        if message.role == "tool" and not message.tool_call_id:
            raise InvalidRequest(
                Failure(
                    failures.INVALID,
                    400,
                    "tool messages need 'tool_call_id'",
                    "invalid_value",
                    f"messages[{index}].tool_call_id",
                )
            )
    try:
        # OpenAI lets an assistant turn with tool calls omit `content`; LangChain wants it.
        messages = convert_to_messages(
            [m if m.get("content") is not None else {**m, "content": ""} for m in raw["messages"]]
        )
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidRequest(
            Failure(failures.INVALID, 400, f"messages: {error}", "invalid_value", "messages")
        ) from None
    choice: Any = body.tool_choice
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if not isinstance(name, str):
            raise InvalidRequest(
                Failure(
                    failures.INVALID, 400, "tool_choice needs function.name", "invalid_value", "tool_choice"
                )
            )
        choice = name
    if choice is not None and choice not in ("auto", "none") and not body.tools:
        raise InvalidRequest(
            Failure(
                failures.INVALID,
                400,
                "tool_choice is set but no tools are given",
                "invalid_value",
                "tool_choice",
            )
        )
    options: dict[str, Any] = {}
    for key in ("temperature", "top_p"):
        if (value := getattr(body, key)) is not None:
            options[key] = value
    if (limit := body.max_completion_tokens or body.max_tokens) is not None:
        options["max_tokens"] = limit
    request = ChatRequest(
        model=body.model,
        messages=messages,
        tools=[tool.model_dump(exclude_none=True) for tool in body.tools] if body.tools else None,
        tool_choice=choice,
        json_format=_json_format(body.response_format),
        options=options,
        stop=[body.stop] if isinstance(body.stop, str) else body.stop,
        user=body.user,
        fallbacks=body.fallbacks,
        stream=body.stream,
        wire_body=raw,
    )
    include_usage = bool((body.stream_options or {}).get("include_usage"))
    return request, include_usage


def _json_format(value: _ResponseFormat | None) -> JsonFormat | None:
    if value is None or value.type == "text":
        return None
    if value.type == "json_object":
        return JsonFormat("json_object")
    spec = value.json_schema or {}
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise InvalidRequest(
            Failure(
                failures.INVALID,
                400,
                "response_format.json_schema.schema is required",
                "invalid_value",
                "response_format",
            )
        )
    return JsonFormat("json_schema", schema, str(spec.get("name") or "response"), spec.get("strict"))


class InvalidRequest(ValueError):
    """A request refused before any provider was called."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _first_problem(error: ValidationError) -> Failure:
    item = error.errors()[0]
    param = ".".join(str(part) for part in item["loc"]) or None
    return Failure(
        failures.INVALID,
        400,
        f"{param}: {item['msg']}" if param else item["msg"],
        "invalid_value" if param else "invalid_request",
        param,
    )


# -- errors ------------------------------------------------------------------

_TYPES = {
    429: "requests",
    401: "invalid_request_error",
    500: "server_error",
    502: "server_error",
    503: "server_error",
    504: "server_error",
}


def error_body(failure: Failure) -> dict[str, Any]:
    """OpenAI's error object: `{"error": {message, type, param, code}}`."""
    return {
        "error": {
            "message": failure.message,
            "type": _TYPES.get(failure.status, "invalid_request_error"),
            "param": failure.param,
            "code": failure.code,
        }
    }


# -- answers -----------------------------------------------------------------


def _usage(usage: dict[str, Any] | None) -> dict[str, int]:
    usage = usage or {}
    prompt, completion = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(usage.get("total_tokens") or prompt + completion),
    }


def completion_body(answer: AIMessage, served_model: str) -> dict[str, Any]:
    """The `chat.completion` object of an answer from any provider."""
    message = convert_to_openai_messages(answer, text_format="string")
    assert isinstance(message, dict)
    tool_calls = message.get("tool_calls")
    finish = neutral_finish(answer.response_metadata) or "stop"
    if tool_calls and finish == "stop":
        finish = "tool_calls"
    out: dict[str, Any] = {"role": "assistant", "content": message.get("content") or None, "refusal": None}
    if out["content"] is None and not tool_calls:
        out["content"] = ""
    if tool_calls:
        out["tool_calls"] = tool_calls
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": served_model,
        "choices": [{"index": 0, "message": out, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(answer.usage_metadata),  # type: ignore[arg-type]
        "system_fingerprint": None,
    }


class OpenAIStreamEncoder:
    """`chat.completion.chunk` events, `[DONE]`, or an in-band `{"error": ...}` event."""

    def __init__(self, served_model: str, include_usage: bool) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = served_model
        self.include_usage = include_usage
        self._tool_index: dict[int, int] = {}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            body["usage"] = None
        return b"data: " + orjson.dumps(body) + b"\n\n"

    def start(self) -> bytes:
        return self._chunk({"role": "assistant", "content": "", "refusal": None})

    def delta(self, delta: Delta) -> bytes:
        out = b""
        if delta.text:
            out += self._chunk({"content": delta.text})
        for tool in delta.tools:
            index = self._tool_index.get(tool.index)
            call: dict[str, Any]
            if index is None or (tool.id and tool.name):
                index = self._tool_index[tool.index] = len(self._tool_index)
                call = {
                    "index": index,
                    "id": tool.id or f"call_{uuid.uuid4().hex[:24]}",
                    "type": "function",
                    "function": {"name": tool.name or "", "arguments": tool.arguments},
                }
            else:
                call = {"index": index, "function": {"arguments": tool.arguments}}
            out += self._chunk({"tool_calls": [call]})
        return out

    def end(self, finish: str, usage: dict[str, Any]) -> bytes:
        if self._tool_index and finish == "stop":
            finish = "tool_calls"
        out = self._chunk({}, finish)
        if self.include_usage:
            body = {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "system_fingerprint": None,
                "choices": [],
                "usage": _usage(usage),
            }
            out += b"data: " + orjson.dumps(body) + b"\n\n"
        return out + b"data: [DONE]\n\n"

    def error(self, failure: Failure) -> bytes:
        return b"data: " + orjson.dumps(error_body(failure)) + b"\n\n"
