"""The Anthropic emulator through the real ``anthropic`` SDK over real HTTP (no mocks)."""

from __future__ import annotations

import functools
import time
from typing import Any

import anthropic
import httpx2
import pytest

from emulators import Fault, RunningEmulator

MODEL = "claude-sonnet-4-5"
USER: list[Any] = [{"role": "user", "content": "hello there, general emulator"}]
WEATHER_TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
}


@functools.cache
def _shared_client(base_url: str) -> anthropic.Anthropic:
    # Building a client costs ~50 ms (TLS context); share one per emulator.
    return anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test", max_retries=0)


def client(emulator: RunningEmulator, timeout: float = 5.0) -> anthropic.Anthropic:
    return _shared_client(emulator.base_url).with_options(timeout=timeout)


def aclient(emulator: RunningEmulator, timeout: float = 5.0) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        base_url=emulator.base_url, api_key="sk-ant-test", max_retries=0, timeout=timeout
    )


def test_message_json(anthropic_emulator: RunningEmulator) -> None:
    raw = client(anthropic_emulator).messages.with_raw_response.create(
        model=MODEL, max_tokens=100, messages=USER
    )
    assert raw.headers["request-id"].startswith("req_")
    msg = raw.parse()
    assert msg.id.startswith("msg_") and msg.type == "message" and msg.role == "assistant"
    assert msg.model == MODEL
    assert msg.content[0].type == "text"
    assert msg.content[0].text == f"[anthropic:{MODEL}] You said: hello there, general emulator"
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    assert msg.usage.input_tokens == 5 and msg.usage.output_tokens == 7
    assert msg.usage.cache_creation_input_tokens == 0 and msg.usage.cache_read_input_tokens == 0


def test_system_prompt_counts_and_tokens_control(anthropic_emulator: RunningEmulator) -> None:
    msg = client(anthropic_emulator).messages.create(
        model=MODEL,
        max_tokens=1000,
        system="be brief",
        messages=[{"role": "user", "content": [{"type": "text", "text": "go tokens=30"}]}],
    )
    text = msg.content[0].text  # type: ignore[union-attr]
    assert len(text.removeprefix(f"[anthropic:{MODEL}] ").split()) == 30
    # "be brief" + "user" + block type "text" + "go tokens=30": every string value counts
    assert msg.usage.input_tokens == 6


def test_max_tokens_truncates(anthropic_emulator: RunningEmulator) -> None:
    msg = client(anthropic_emulator).messages.create(
        model=MODEL, max_tokens=3, messages=[{"role": "user", "content": "tokens=20"}]
    )
    assert msg.stop_reason == "max_tokens"
    assert len(msg.content[0].text.split()) == 3  # type: ignore[union-attr]


def test_stop_sequences(anthropic_emulator: RunningEmulator) -> None:
    msg = client(anthropic_emulator).messages.create(
        model=MODEL, max_tokens=100, messages=USER, stop_sequences=["general"]
    )
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == "general"
    assert msg.content[0].text.endswith("hello there, ")  # type: ignore[union-attr]


def test_stream_events_and_accumulation(anthropic_emulator: RunningEmulator) -> None:
    c = client(anthropic_emulator)
    events = list(c.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True))
    types = [e.type for e in events]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    deltas = [e.delta.text for e in events if e.type == "content_block_delta"]  # type: ignore[union-attr]
    assert deltas[:3] == [f"[anthropic:{MODEL}]", " You", " said:"]
    with c.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "".join(deltas)
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 7
    assert final.usage.input_tokens == 5


def test_tool_use_when_mentioned_and_forced(anthropic_emulator: RunningEmulator) -> None:
    c = client(anthropic_emulator)
    mentioned = c.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "call get_weather for Oslo"}],
    )
    assert mentioned.stop_reason == "tool_use"
    block = mentioned.content[0]
    assert block.type == "tool_use" and block.name == "get_weather"
    assert block.id.startswith("toolu_") and block.input["unit"] == "celsius"  # type: ignore[index]
    plain = c.messages.create(model=MODEL, max_tokens=100, tools=[WEATHER_TOOL], messages=USER)  # type: ignore[list-item]
    assert plain.stop_reason == "end_turn"
    for choice in ({"type": "any"}, {"type": "tool", "name": "get_weather"}):
        forced = c.messages.create(
            model=MODEL, max_tokens=100, tools=[WEATHER_TOOL], tool_choice=choice, messages=USER  # type: ignore[arg-type,list-item]
        )
        assert forced.content[0].type == "tool_use"
    none = c.messages.create(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "none"},
        messages=[{"role": "user", "content": "get_weather"}],
    )
    assert none.content[0].type == "text"


def test_tool_result_answer(anthropic_emulator: RunningEmulator) -> None:
    msgs: list[Any] = [
        {"role": "user", "content": "get_weather Oslo"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "snow, -3C"}],
        },
    ]
    msg = client(anthropic_emulator).messages.create(
        model=MODEL, max_tokens=100, tools=[WEATHER_TOOL], messages=msgs  # type: ignore[list-item]
    )
    assert msg.content[0].text == f"[anthropic:{MODEL}] Based on the tool result: snow, -3C"  # type: ignore[union-attr]


def test_streamed_tool_use(anthropic_emulator: RunningEmulator) -> None:
    with client(anthropic_emulator).messages.stream(
        model=MODEL,
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        tool_choice={"type": "any"},
        messages=USER,
    ) as stream:
        json_deltas = [e for e in stream if e.type == "input_json"]
        final = stream.get_final_message()
    assert len(json_deltas) > 1
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"city": "example city", "unit": "celsius"}
    assert final.stop_reason == "tool_use"


def test_count_tokens_and_models(anthropic_emulator: RunningEmulator) -> None:
    c = client(anthropic_emulator)
    assert c.messages.count_tokens(model=MODEL, messages=USER).input_tokens == 5
    assert MODEL in [m.id for m in c.models.list()]


async def test_async_client(anthropic_emulator: RunningEmulator) -> None:
    async with aclient(anthropic_emulator) as c:
        msg = await c.messages.create(model=MODEL, max_tokens=100, messages=USER)
        async with c.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
            text = "".join([t async for t in stream.text_stream])
    assert text == msg.content[0].text  # type: ignore[union-attr]


def test_validation_errors(anthropic_emulator: RunningEmulator) -> None:
    c = client(anthropic_emulator)
    with pytest.raises(anthropic.BadRequestError) as missing:
        c.post("/v1/messages", body={"model": MODEL, "messages": USER}, cast_to=object)
    assert missing.value.type == "invalid_request_error"
    assert "max_tokens" in (missing.value.api_message or "")
    raw = httpx2.post(
        f"{anthropic_emulator.base_url}/v1/messages",
        json={"model": MODEL, "max_tokens": 5, "messages": USER},
    )
    assert raw.status_code == 401 and raw.json()["error"]["type"] == "authentication_error"
    bad = anthropic.Anthropic(base_url=anthropic_emulator.base_url, api_key="invalid", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model=MODEL, max_tokens=5, messages=USER)
    malformed = httpx2.post(
        f"{anthropic_emulator.base_url}/v1/messages",
        content=b"{not json",
        headers={"x-api-key": "k", "content-type": "application/json"},
    )
    assert malformed.status_code == 400


@pytest.mark.parametrize(
    ("status", "error_type", "exc_cls", "etype"),
    [
        (400, None, anthropic.BadRequestError, "invalid_request_error"),
        (400, "billing_error", anthropic.BadRequestError, "billing_error"),
        (401, None, anthropic.AuthenticationError, "authentication_error"),
        (402, None, anthropic.PaymentRequiredError, "billing_error"),
        (403, None, anthropic.PermissionDeniedError, "permission_error"),
        (404, None, anthropic.NotFoundError, "not_found_error"),
        (413, None, anthropic.ContentTooLargeError, "request_too_large"),
        (429, None, anthropic.RateLimitError, "rate_limit_error"),
        (500, None, anthropic.InternalServerError, "api_error"),
        (529, None, anthropic.OverloadedError, "overloaded_error"),
        (None, "overloaded_error", anthropic.OverloadedError, "overloaded_error"),
        (None, "billing_error", anthropic.PaymentRequiredError, "billing_error"),
        (None, "context_length_exceeded", anthropic.BadRequestError, "invalid_request_error"),
    ],
)
def test_error_statuses(
    anthropic_emulator: RunningEmulator,
    status: int | None,
    error_type: str | None,
    exc_cls: type[anthropic.APIStatusError],
    etype: str,
) -> None:
    anthropic_emulator.faults.push(
        Fault(status=status, error_type=error_type, retry_after=3, times=1)
    )
    c = client(anthropic_emulator)
    with pytest.raises(exc_cls) as info:
        c.messages.create(model=MODEL, max_tokens=100, messages=USER)
    exc = info.value
    assert type(exc) is exc_cls
    assert exc.type == etype
    assert isinstance(exc.body, dict) and exc.body["type"] == "error"
    assert exc.body["error"]["type"] == etype
    assert exc.request_id is not None and exc.body["request_id"] == exc.request_id
    assert exc.response.headers["retry-after"] == "3"
    assert c.messages.create(model=MODEL, max_tokens=100, messages=USER).content


def test_in_stream_error(anthropic_emulator: RunningEmulator) -> None:
    anthropic_emulator.faults.push(Fault(stream_error_after=2, times=1))
    seen: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as info:
        for event in client(anthropic_emulator).messages.create(
            model=MODEL, max_tokens=100, messages=USER, stream=True
        ):
            seen.append(event.type)
    exc = info.value
    # The HTTP status was 200, so the SDK raises the base APIStatusError with status 200.
    assert type(exc) is anthropic.APIStatusError and exc.status_code == 200
    assert exc.type == "overloaded_error"
    assert exc.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert seen.count("content_block_delta") == 2 and "message_stop" not in seen


def test_cut_stream_ends_silently(anthropic_emulator: RunningEmulator) -> None:
    """Documents silent truncation: no exception, no message_delta / message_stop."""
    anthropic_emulator.faults.push(Fault(cut_after=2, times=1))
    events = list(
        client(anthropic_emulator).messages.create(
            model=MODEL, max_tokens=100, messages=USER, stream=True
        )
    )
    types = [e.type for e in events]
    assert types.count("content_block_delta") == 2
    assert "message_delta" not in types and "message_stop" not in types


def test_cut_stream_helper_returns_partial_message(anthropic_emulator: RunningEmulator) -> None:
    anthropic_emulator.faults.push(Fault(cut_after=2, times=1))
    with client(anthropic_emulator).messages.stream(
        model=MODEL, max_tokens=100, messages=USER
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == f"[anthropic:{MODEL}] You"
    assert final.stop_reason is None  # the only hint that the stream was truncated


def test_hang_and_reset(anthropic_emulator: RunningEmulator) -> None:
    anthropic_emulator.faults.push(Fault(hang=True, times=1), Fault(reset=True, times=1))
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        client(anthropic_emulator, timeout=0.5).messages.create(
            model=MODEL, max_tokens=10, messages=USER
        )
    assert time.monotonic() - started < 2
    with pytest.raises(anthropic.APIConnectionError) as info:
        client(anthropic_emulator).messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert not isinstance(info.value, anthropic.APITimeoutError)


async def test_async_reset_and_in_stream_error(anthropic_emulator: RunningEmulator) -> None:
    anthropic_emulator.faults.push(Fault(reset=True, times=1), Fault(stream_error_after=0, times=1))
    async with aclient(anthropic_emulator) as c:
        with pytest.raises(anthropic.APIConnectionError):
            await c.messages.create(model=MODEL, max_tokens=10, messages=USER)
        stream = await c.messages.create(model=MODEL, max_tokens=10, messages=USER, stream=True)
        with pytest.raises(anthropic.APIStatusError):
            async for _ in stream:
                pass


def test_keep_alive(anthropic_emulator: RunningEmulator) -> None:
    c = client(anthropic_emulator)
    for i in range(30):
        c.messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": f"n{i}"}]
        )
    assert anthropic_emulator.request_count == 30
