"""The OpenAI emulator through the real ``openai`` SDK over real HTTP (no mocks)."""

from __future__ import annotations

import functools
import json
import time
from typing import Any, Literal

import httpx2
import openai
import pytest
from pydantic import BaseModel, Field

from emulators import Fault, RunningEmulator

USER = [{"role": "user", "content": "hello there, general emulator"}]
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["city", "unit"],
        },
    },
}


@functools.cache
def _shared_client(base_url: str) -> openai.OpenAI:
    # Building a client costs ~50 ms (TLS context); share one per emulator.
    return openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0)


def client(emulator: RunningEmulator, timeout: float = 5.0) -> openai.OpenAI:
    return _shared_client(emulator.base_url).with_options(timeout=timeout)


def aclient(emulator: RunningEmulator, timeout: float = 5.0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=emulator.base_url, api_key="sk-test", max_retries=0, timeout=timeout
    )


def test_chat_completion_json(openai_emulator: RunningEmulator) -> None:
    resp = client(openai_emulator).chat.completions.create(model="gpt-4o-mini", messages=USER)
    choice = resp.choices[0]
    assert choice.message.content == "[openai:gpt-4o-mini] You said: hello there, general emulator"
    assert choice.finish_reason == "stop"
    assert resp.model == "gpt-4o-mini"
    assert resp.id.startswith("chatcmpl-")
    assert resp.object == "chat.completion"
    assert resp.usage is not None
    assert resp.usage.prompt_tokens == 5  # 4 words + the role string
    assert resp.usage.completion_tokens == 7
    assert resp.usage.total_tokens == 12


def test_raw_response_headers(openai_emulator: RunningEmulator) -> None:
    raw = client(openai_emulator).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=USER
    )
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["x-ratelimit-limit-requests"] == "10000"
    assert "openai-processing-ms" in raw.headers
    assert raw.parse().choices[0].message.content is not None


def test_answers_are_deterministic(openai_emulator: RunningEmulator) -> None:
    c = client(openai_emulator)
    first = c.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content
    second = c.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content
    assert first == second


def test_tokens_control_and_max_tokens(openai_emulator: RunningEmulator) -> None:
    c = client(openai_emulator)
    msgs = [{"role": "user", "content": "please write tokens=50"}]
    resp = c.chat.completions.create(model="gpt-4o", messages=msgs)
    text = resp.choices[0].message.content or ""
    assert text.startswith("[openai:gpt-4o] ")
    assert len(text.removeprefix("[openai:gpt-4o] ").split()) == 50
    cut = c.chat.completions.create(model="gpt-4o", messages=msgs, max_tokens=10)
    assert cut.choices[0].finish_reason == "length"
    assert len((cut.choices[0].message.content or "").split()) == 10
    assert cut.usage is not None and cut.usage.completion_tokens == 10


def test_stop_sequence(openai_emulator: RunningEmulator) -> None:
    resp = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=USER, stop=["general"]
    )
    assert resp.choices[0].message.content == "[openai:gpt-4o] You said: hello there, "
    assert resp.choices[0].finish_reason == "stop"


def test_stream_one_token_per_chunk_with_usage(openai_emulator: RunningEmulator) -> None:
    stream = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks[1:] if c.choices and c.choices[0].delta.content]
    assert pieces == ["[openai:gpt-4o]", " You", " said:", " hello", " there,", " general", " emulator"]
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7


def test_stream_without_usage_has_no_usage_chunk(openai_emulator: RunningEmulator) -> None:
    chunks = list(
        client(openai_emulator).chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    )
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_tool_call_when_tool_is_mentioned(openai_emulator: RunningEmulator) -> None:
    msgs = [{"role": "user", "content": "Use get_weather for Paris"}]
    resp = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=msgs, tools=[WEATHER_TOOL]
    )
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    args = json.loads(call.function.arguments)  # type: ignore[union-attr]
    assert args["unit"] in ("celsius", "fahrenheit") and 1 <= args["days"] <= 7


def test_no_tool_call_when_not_mentioned_or_none(openai_emulator: RunningEmulator) -> None:
    c = client(openai_emulator)
    resp = c.chat.completions.create(model="gpt-4o", messages=USER, tools=[WEATHER_TOOL])
    assert resp.choices[0].message.tool_calls is None
    msgs = [{"role": "user", "content": "get_weather please"}]
    resp = c.chat.completions.create(
        model="gpt-4o", messages=msgs, tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert resp.choices[0].finish_reason == "stop"


def test_forced_tool_choice(openai_emulator: RunningEmulator) -> None:
    c = client(openai_emulator)
    for choice in ("required", {"type": "function", "function": {"name": "get_weather"}}):
        resp = c.chat.completions.create(
            model="gpt-4o", messages=USER, tools=[WEATHER_TOOL], tool_choice=choice  # type: ignore[arg-type]
        )
        assert resp.choices[0].message.tool_calls[0].function.name == "get_weather"  # type: ignore[index,union-attr]


def test_answer_after_tool_result(openai_emulator: RunningEmulator) -> None:
    msgs: list[Any] = [
        {"role": "user", "content": "get_weather Paris"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21C"},
    ]
    resp = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=msgs, tools=[WEATHER_TOOL]
    )
    assert resp.choices[0].message.content == "[openai:gpt-4o] Based on the tool result: sunny, 21C"


def test_streamed_tool_call_accumulates(openai_emulator: RunningEmulator) -> None:
    msgs = [{"role": "user", "content": "get_weather in Rome"}]
    with client(openai_emulator).chat.completions.stream(
        model="gpt-4o", messages=msgs, tools=[WEATHER_TOOL]
    ) as stream:
        arg_chunks = 0
        for event in stream:
            if event.type == "tool_calls.function.arguments.delta":
                arg_chunks += 1
        final = stream.get_final_completion()
    assert arg_chunks > 1
    call = final.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert json.loads(call.function.arguments)["unit"] == "celsius"  # type: ignore[union-attr]
    assert final.choices[0].finish_reason == "tool_calls"


class Step(BaseModel):
    title: str
    priority: Literal["low", "high"]
    minutes: int = Field(ge=5, le=90)


class Plan(BaseModel):
    summary: str
    steps: list[Step]
    owner: str | None = None
    confidence: float = Field(gt=0, lt=1)


def test_parse_json_schema(openai_emulator: RunningEmulator) -> None:
    resp = client(openai_emulator).chat.completions.parse(
        model="gpt-4o", messages=USER, response_format=Plan
    )
    parsed = resp.choices[0].message.parsed
    assert isinstance(parsed, Plan)
    assert len(parsed.steps) == 2 and 0 < parsed.confidence < 1
    body = openai_emulator.requests[-1].json
    assert body["response_format"]["type"] == "json_schema"


def test_json_object_mode(openai_emulator: RunningEmulator) -> None:
    resp = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=USER, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(resp.choices[0].message.content or ""), dict)


async def test_async_client_json_and_stream(openai_emulator: RunningEmulator) -> None:
    async with aclient(openai_emulator) as c:
        resp = await c.chat.completions.create(model="gpt-4o", messages=USER)
        assert (resp.choices[0].message.content or "").startswith("[openai:gpt-4o]")
        stream = await c.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
        text = "".join([ch.choices[0].delta.content or "" async for ch in stream])
        assert text == resp.choices[0].message.content


def test_embeddings(openai_emulator: RunningEmulator) -> None:
    c = client(openai_emulator)
    default = c.embeddings.create(model="text-embedding-3-small", input=["a", "b", "a"])
    vectors = [d.embedding for d in default.data]
    assert [len(v) for v in vectors] == [256, 256, 256]
    assert vectors[0] == pytest.approx(vectors[2]) and vectors[0] != vectors[1]
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, abs=1e-5)
    sized = c.embeddings.create(
        model="text-embedding-3-small", input="a", dimensions=64, encoding_format="float"
    )
    assert len(sized.data[0].embedding) == 64
    assert default.usage.prompt_tokens == 3


def test_models(openai_emulator: RunningEmulator) -> None:
    ids = [m.id for m in client(openai_emulator).models.list()]
    assert "gpt-4o" in ids


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("status", "error_type", "exc_cls", "etype", "code"),
    [
        (400, None, openai.BadRequestError, "invalid_request_error", None),
        (400, "context_length_exceeded", openai.BadRequestError, "invalid_request_error",
         "context_length_exceeded"),
        (401, None, openai.AuthenticationError, "invalid_request_error", "invalid_api_key"),
        (403, None, openai.PermissionDeniedError, "permission_denied", "permission_denied"),
        (404, None, openai.NotFoundError, "invalid_request_error", "model_not_found"),
        (409, None, openai.ConflictError, "invalid_request_error", "conflict"),
        (422, None, openai.UnprocessableEntityError, "invalid_request_error", None),
        (429, None, openai.RateLimitError, "requests", "rate_limit_exceeded"),
        (429, "insufficient_quota", openai.RateLimitError, "insufficient_quota",
         "insufficient_quota"),
        (None, "insufficient_quota", openai.RateLimitError, "insufficient_quota",
         "insufficient_quota"),
        (500, None, openai.InternalServerError, "server_error", None),
        (503, None, openai.InternalServerError, "server_error", None),
        (None, "overloaded_error", openai.InternalServerError, "server_error", None),
    ],
)
def test_error_statuses(
    openai_emulator: RunningEmulator,
    status: int | None,
    error_type: str | None,
    exc_cls: type[openai.APIStatusError],
    etype: str,
    code: str | None,
) -> None:
    openai_emulator.faults.push(
        Fault(status=status, error_type=error_type, retry_after=7, retry_after_ms=250, times=1)
    )
    c = client(openai_emulator)
    with pytest.raises(exc_cls) as info:
        c.chat.completions.create(model="gpt-4o", messages=USER)
    exc = info.value
    assert type(exc) is exc_cls
    assert exc.type == etype and exc.code == code
    assert isinstance(exc.body, dict) and set(exc.body) == {"message", "type", "param", "code"}
    assert exc.response.headers["retry-after"] == "7"
    assert exc.response.headers["retry-after-ms"] == "250"
    assert exc.request_id is not None and exc.request_id.startswith("req_")
    # times=1: the next call succeeds
    assert c.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content


def test_missing_api_key_and_bad_requests(openai_emulator: RunningEmulator) -> None:
    # The SDK refuses an empty key client-side, so send the request without one by hand.
    raw = httpx2.post(
        f"{openai_emulator.base_url}/chat/completions",
        json={"model": "gpt-4o", "messages": USER},
    )
    assert raw.status_code == 401
    assert raw.json()["error"]["code"] == "invalid_api_key"
    assert raw.json()["error"]["type"] == "invalid_request_error"
    bad_key = openai.OpenAI(base_url=openai_emulator.base_url, api_key="sk-invalid-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.chat.completions.create(model="gpt-4o", messages=USER)
    with pytest.raises(openai.BadRequestError) as bad:
        client(openai_emulator).chat.completions.create(model="gpt-4o", messages=[])
    assert bad.value.code == "empty_array" and bad.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as missing:
        client(openai_emulator).post("/chat/completions", body={"model": "gpt-4o"}, cast_to=dict)
    assert missing.value.code == "missing_required_parameter"


def test_in_stream_error_raises_api_error(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(stream_error_after=2, times=1))
    stream = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=USER, stream=True
    )
    received: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    exc = info.value
    # A plain APIError (not APIStatusError: the HTTP status was 200).
    assert type(exc) is openai.APIError
    assert exc.type == "server_error" and exc.code is None
    assert isinstance(exc.body, dict) and exc.body["type"] == "server_error"
    assert received == ["", "[openai:gpt-4o]", " You"]


def test_cut_stream_ends_silently(openai_emulator: RunningEmulator) -> None:
    """Documents silent truncation: the SDK does NOT raise; no finish_reason arrives."""
    openai_emulator.faults.push(Fault(cut_after=3, times=1))
    stream = client(openai_emulator).chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)  # no exception
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "[openai:gpt-4o] You said:"
    assert all(c.choices and c.choices[0].finish_reason is None for c in chunks)
    assert all(c.usage is None for c in chunks)


async def test_cut_stream_async_ends_silently(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(cut_after=1, times=1))
    async with aclient(openai_emulator) as c:
        stream = await c.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
        chunks = [ch async for ch in stream]
    assert [ch.choices[0].finish_reason for ch in chunks] == [None, None]


def test_hang_times_out(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(hang=True, times=1))
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client(openai_emulator, timeout=0.5).chat.completions.create(model="gpt-4o", messages=USER)
    assert time.monotonic() - started < 2


async def test_hang_times_out_async(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(hang=True, times=1))
    async with aclient(openai_emulator, timeout=0.3) as c:
        with pytest.raises(openai.APITimeoutError):
            await c.chat.completions.create(model="gpt-4o", messages=USER)


def test_reset_is_connection_error(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(reset=True, times=1))
    c = client(openai_emulator)
    with pytest.raises(openai.APIConnectionError) as info:
        c.chat.completions.create(model="gpt-4o", messages=USER)
    assert not isinstance(info.value, openai.APITimeoutError)
    assert c.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content


def test_delay_and_token_delay(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(delay=0.2, token_delay=0.02, times=1))
    started = time.monotonic()
    chunks = list(
        client(openai_emulator).chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    )
    assert time.monotonic() - started >= 0.2 + 0.02 * (len(chunks) - 1) - 0.01
    with pytest.raises(openai.APITimeoutError):
        openai_emulator.faults.push(Fault(delay=1.0, times=1))
        client(openai_emulator, timeout=0.3).chat.completions.create(model="gpt-4o", messages=USER)


def test_keep_alive_many_sequential_calls(openai_emulator: RunningEmulator) -> None:
    c = client(openai_emulator)
    c.models.list()  # make sure a pooled connection exists
    connections = openai_emulator.server.connections_accepted
    for i in range(25):
        msgs = [{"role": "user", "content": f"call {i}"}]
        assert c.chat.completions.create(model="gpt-4o", messages=msgs).choices[0].message.content
    assert openai_emulator.request_count == 26
    assert openai_emulator.server.connections_accepted == connections  # all on one connection
    # Streams and errors in between do not break the pooled connection.
    list(c.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    openai_emulator.faults.push(Fault(status=500, times=1))
    with pytest.raises(openai.InternalServerError):
        c.chat.completions.create(model="gpt-4o", messages=USER)
    assert c.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content


def test_sdk_retries_honour_retry_after_ms(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(status=429, retry_after_ms=10, times=2))
    retrying = openai.OpenAI(base_url=openai_emulator.base_url, api_key="sk-test", max_retries=2)
    resp = retrying.chat.completions.create(model="gpt-4o", messages=USER)
    assert resp.choices[0].message.content
    assert openai_emulator.request_count == 3
    assert [r.headers["x-stainless-retry-count"] for r in openai_emulator.requests] == ["0", "1", "2"]
