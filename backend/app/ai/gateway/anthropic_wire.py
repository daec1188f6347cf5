"""The Anthropic Messages wire: request in, `message` / stream events / errors out.

Why some translation is written here: LangChain has no converter from Anthropic's
request shape to its standard messages that a non-Anthropic provider can use.
`convert_to_messages` keeps `tool_use` blocks as plain content (so OpenAI never sees
the tool calls) and `convert_to_openai_messages` moves a user turn's text *before* its
tool results (OpenAI rejects that order) and drops `is_error`. So this module maps
Anthropic blocks to LangChain's standard forms -- `AIMessage.tool_calls`,
`ToolMessage`, v1 image blocks -- which every integration then sends in its own format.
Answers are read through `AIMessage.content_blocks` (LangChain's standard view of any
provider's answer).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import orjson
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.ai.gateway import failures
from app.ai.gateway.calls import ChatRequest, JsonFormat
from app.ai.gateway.failures import Failure
from app.ai.gateway.openai_wire import InvalidRequest
from app.ai.gateway.same_wire import ANTHROPIC_WIRE
from app.ai.gateway.streaming import Delta, neutral_finish

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


class _Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str | list[dict[str, Any]]


class _Tool(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=128)
    description: str | None = None
    input_schema: dict[str, Any]


class _ToolChoice(BaseModel):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class _Format(BaseModel):
    type: Literal["json_schema"]
    schema_: dict[str, Any] = Field(alias="schema")


class MessagesBody(BaseModel):
    """The request fields this gateway reads; others Anthropic defines are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=200)
    max_tokens: int = Field(ge=1)
    messages: list[_Message] = Field(min_length=1)
    system: str | list[dict[str, Any]] | None = None
    tools: list[_Tool] | None = None
    tool_choice: _ToolChoice | None = None
    stop_sequences: list[str] | None = None
    temperature: float | None = Field(default=None, ge=0, le=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stream: bool = False
    metadata: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    output_format: _Format | None = None
    fallbacks: list[str] | None = Field(default=None, max_length=10)


def parse_request(raw: Any) -> ChatRequest:
    """The neutral request; `InvalidRequest` (400 naming the field) on anything malformed."""
    try:
        body = MessagesBody.model_validate(raw)
        fmt = body.output_format
        if fmt is None and body.output_config and body.output_config.get("format") is not None:
            fmt = _Format.model_validate(body.output_config["format"])
    except ValidationError as error:
        item = error.errors()[0]
        param = ".".join(str(part) for part in item["loc"])
        raise InvalidRequest(Failure(failures.INVALID, 400, f"{param}: {item['msg']}", param=param)) from None
    messages: list[BaseMessage] = []
    if body.system:
        messages.append(SystemMessage(content=_text(body.system)))
    for index, message in enumerate(body.messages):
        try:
            messages.extend(_convert(message))
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidRequest(
                Failure(failures.INVALID, 400, f"messages.{index}: {error}", param=f"messages.{index}")
            ) from None
    choice = body.tool_choice
    normalised = None
    if choice is not None:
        if choice.type == "tool" and not choice.name:
            raise InvalidRequest(
                Failure(
                    failures.INVALID,
                    400,
                    "tool_choice.name: required for type 'tool'",
                    param="tool_choice.name",
                )
            )
        normalised = {"auto": "auto", "any": "required", "none": "none"}.get(choice.type, choice.name)
    options: dict[str, Any] = {"max_tokens": body.max_tokens}
    for key in ("temperature", "top_p"):
        if (value := getattr(body, key)) is not None:
            options[key] = value
    user = (body.metadata or {}).get("user_id")
    return ChatRequest(
        model=body.model,
        messages=messages,
        tools=[tool.model_dump(exclude_none=True) for tool in body.tools] if body.tools else None,
        tool_choice=normalised if body.tools else None,
        json_format=JsonFormat("json_schema", fmt.schema_) if fmt is not None else None,
        options=options,
        stop=body.stop_sequences or None,
        user=str(user) if user else None,
        fallbacks=body.fallbacks,
        stream=body.stream,
        wire_body=raw,
        wire=ANTHROPIC_WIRE,
    )


def _text(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "".join(str(block.get("text", "")) for block in content if block.get("type") == "text")


def _standard_block(block: dict[str, Any]) -> dict[str, Any] | None:
    """An Anthropic user content block as a LangChain v1 standard block."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": str(block["text"])}
    if kind in ("image", "document"):
        source = block["source"]
        if source.get("type") == "base64":
            return {
                "type": "image" if kind == "image" else "file",
                "base64": source["data"],
                "mime_type": source["media_type"],
            }
        if source.get("type") == "url":
            return {"type": "image" if kind == "image" else "file", "url": source["url"]}
        if source.get("type") == "text":
            return {"type": "text", "text": str(source.get("data", ""))}
    if kind in ("thinking", "redacted_thinking"):
        return None
    raise ValueError(f"content block type {kind!r} is not supported")


def _convert(message: _Message) -> list[BaseMessage]:
    if isinstance(message.content, str):
        return [HumanMessage(message.content) if message.role == "user" else AIMessage(message.content)]
    blocks = message.content
    if message.role == "assistant":
        text = "".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        calls = [
            {"id": b["id"], "name": b["name"], "args": dict(b.get("input") or {}), "type": "tool_call"}
            for b in blocks
            if b.get("type") == "tool_use"
        ]
        return [AIMessage(content=text, tool_calls=calls)]
    out: list[BaseMessage] = []
    rest: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "tool_result":
            content = block.get("content", "")
            out.append(
                ToolMessage(
                    content=content if isinstance(content, str) else _text(content),
                    tool_call_id=str(block["tool_use_id"]),
                    status="error" if block.get("is_error") else "success",
                )
            )
        elif (standard := _standard_block(block)) is not None:
            rest.append(standard)
    if rest:
        only_text = all(b["type"] == "text" for b in rest)
        out.append(HumanMessage("".join(b["text"] for b in rest) if only_text else rest))  # type: ignore[arg-type]
    return out


# -- errors ------------------------------------------------------------------

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    502: "api_error",
    503: "overloaded_error",
    504: "timeout_error",
}


def error_body(failure: Failure, request_id: str | None = None) -> dict[str, Any]:
    """Anthropic's error object: `{"type": "error", "error": {type, message}}`."""
    body: dict[str, Any] = {
        "type": "error",
        "error": {"type": _TYPES.get(failure.status, "api_error"), "message": failure.message},
    }
    if request_id:
        body["request_id"] = request_id
    return body


# -- answers -----------------------------------------------------------------


def _stop_reason(finish: str | None, has_tools: bool) -> str:
    reason = _STOP_REASONS.get(finish or "stop", "end_turn")
    return "tool_use" if has_tools and reason == "end_turn" else reason


def message_body(answer: AIMessage, served_model: str) -> dict[str, Any]:
    """The `message` object of an answer from any provider."""
    content: list[dict[str, Any]] = []
    for block in answer.content_blocks:
        if block["type"] == "text" and block.get("text"):
            content.append({"type": "text", "text": block["text"]})
        elif block["type"] == "tool_call":
            content.append(
                {
                    "type": "tool_use",
                    "id": block.get("id") or f"toolu_{uuid.uuid4().hex[:24]}",
                    "name": block["name"],
                    "input": block.get("args") or {},
                }
            )
    meta = answer.response_metadata
    raw_stop = meta.get("stop_reason")
    stop_reason = (
        raw_stop
        if raw_stop == "stop_sequence"
        else _stop_reason(neutral_finish(meta), any(b["type"] == "tool_use" for b in content))
    )
    usage: dict[str, Any] = dict(answer.usage_metadata or {})
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": served_model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": meta.get("stop_sequence") if stop_reason == "stop_sequence" else None,
        "usage": {
            "input_tokens": int(usage.get("input_tokens") or 0),
            "output_tokens": int(usage.get("output_tokens") or 0),
        },
    }


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class AnthropicStreamEncoder:
    """`message_start`, `ping`, content blocks, `message_delta`, `message_stop` -- or `error`."""

    def __init__(self, served_model: str) -> None:
        self.model = served_model
        self._block = -1
        self._open: str | None = None  # "text" | "tool"
        self._tools: dict[int, int] = {}  # provider tool index -> our block index
        self._has_tools = False

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return _event("message_start", {"type": "message_start", "message": message}) + _event(
            "ping", {"type": "ping"}
        )

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event("content_block_stop", {"type": "content_block_stop", "index": self._block})

    def _begin(self, kind: str, block: dict[str, Any]) -> bytes:
        out = self._close()
        self._block += 1
        self._open = kind
        return out + _event(
            "content_block_start",
            {"type": "content_block_start", "index": self._block, "content_block": block},
        )

    def delta(self, delta: Delta) -> bytes:
        out = b""
        if delta.text:
            if self._open != "text":
                out += self._begin("text", {"type": "text", "text": ""})
            out += _event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": self._block,
                    "delta": {"type": "text_delta", "text": delta.text},
                },
            )
        for tool in delta.tools:
            if tool.index not in self._tools or (tool.id and tool.name):
                self._has_tools = True
                out += self._begin(
                    "tool",
                    {
                        "type": "tool_use",
                        "id": tool.id or f"toolu_{uuid.uuid4().hex[:24]}",
                        "name": tool.name or "",
                        "input": {},
                    },
                )
                self._tools[tool.index] = self._block
            if tool.arguments:
                index = self._tools[tool.index]
                out += _event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": tool.arguments},
                    },
                )
        return out

    def end(self, finish: str, usage: dict[str, Any]) -> bytes:
        out = self._close()
        delta = {"stop_reason": _stop_reason(finish, self._has_tools), "stop_sequence": None}
        counts = {
            "input_tokens": int(usage.get("input_tokens") or 0),
            "output_tokens": int(usage.get("output_tokens") or 0),
        }
        out += _event("message_delta", {"type": "message_delta", "delta": delta, "usage": counts})
        return out + _event("message_stop", {"type": "message_stop"})

    def error(self, failure: Failure) -> bytes:
        return _event("error", error_body(failure))
