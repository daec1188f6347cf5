"""The official `openai` Python SDK against the real server: sync, async, streaming
helpers, tools, structured outputs (`parse`) -- healthy, failing before the first token,
failing mid-stream, everything down."""

from __future__ import annotations

import openai
import pytest
from pydantic import BaseModel

from emulators import Fault, RunningEmulator
from tests.gateway.conftest import SERVER_TIMEOUT, Gateway

pytestmark = pytest.mark.timeout(SERVER_TIMEOUT)

OPENAI_ANSWER = "[openai:gpt-4o] You said: hello there"
ANTHROPIC_ANSWER = "[anthropic:claude-3-5-sonnet-20241022] You said: hello there"
HELLO = [{"role": "user", "content": "hello there"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


class CityWeather(BaseModel):
    city: str
    celsius: int


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.openai_base, api_key=gateway.key, max_retries=0, timeout=30)


def test_sync_create_healthy_says_who_served(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(model="default", messages=HELLO)
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == OPENAI_ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "gpt-4o"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert raw.headers["x-tandem-provider"] == "openai"
    assert raw.headers["x-tandem-failover"] == "false" and raw.headers["x-tandem-attempts"] == "1"


def test_primary_failing_before_first_token_gets_whole_answer_from_fallback(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.set_default(Fault(status=500))
    raw = client(gateway).chat.completions.with_raw_response.create(model="default", messages=HELLO)
    completion = raw.parse()
    assert completion.choices[0].message.content == ANTHROPIC_ANSWER
    assert completion.model == "claude-3-5-sonnet-20241022"  # the model that actually served
    assert raw.headers["x-tandem-provider"] == "anthropic" and raw.headers["x-tandem-failover"] == "true"
    assert int(raw.headers["x-tandem-attempts"]) >= 2

    openai_emulator.faults.set_default(Fault(status=503))
    with client(gateway).chat.completions.with_streaming_response.create(
        model="default", messages=HELLO, stream=True
    ) as response:
        assert response.headers["x-tandem-provider"] == "anthropic"
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text == ANTHROPIC_ANSWER


async def test_async_create_and_stream_with_usage(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    async with openai.AsyncOpenAI(
        base_url=gateway.openai_base, api_key=gateway.key, max_retries=0
    ) as aclient:
        completion = await aclient.chat.completions.create(model="anthropic", messages=HELLO)
        assert completion.choices[0].message.content == ANTHROPIC_ANSWER
        stream = await aclient.chat.completions.create(
            model="default", messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
    assert all(c.object == "chat.completion.chunk" and c.model == "gpt-4o" for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == OPENAI_ANSWER
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


@pytest.mark.parametrize("route", ["default", "claude-first"])
def test_tools_round_trip_through_either_provider(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], route: str
) -> None:
    sdk = client(gateway)
    question = [{"role": "user", "content": "What is the weather in Paris? Use get_weather."}]
    first = sdk.chat.completions.create(
        model=route, messages=question, tools=[WEATHER_TOOL], tool_choice="required"
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and "city" in call.function.arguments
    follow_up = [
        *question,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18 degrees and sunny"},
    ]
    second = sdk.chat.completions.create(model=route, messages=follow_up, tools=[WEATHER_TOOL])
    assert "18 degrees and sunny" in (second.choices[0].message.content or "")


def test_stream_helper_accumulates_tool_calls_served_by_anthropic(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    with client(gateway).chat.completions.stream(
        model="claude-first",
        messages=[{"role": "user", "content": "call get_weather for Paris"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_completion()
    assert final.model == "claude-3-5-sonnet-20241022"
    calls = final.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather" and calls[0].id.startswith("toolu_")
    assert final.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("route", ["default", "claude-first"])
def test_structured_output_parse(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], route: str
) -> None:
    completion = client(gateway).chat.completions.parse(
        model=route,
        messages=[{"role": "user", "content": "Weather in Oslo as JSON"}],
        response_format=CityWeather,
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, CityWeather)
    json_mode = client(gateway).chat.completions.create(
        model=route,
        messages=[{"role": "user", "content": "JSON please"}],
        response_format={"type": "json_object"},
    )
    assert json_mode.choices[0].message.content.strip().startswith("{")


def test_stream_failing_mid_way_never_ends_cleanly(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.push(Fault(stream_error_after=2, times=1))
    received: list[str] = []
    finish: list[str | None] = []
    for chunk in client(gateway).chat.completions.create(model="default", messages=HELLO, stream=True):
        if chunk.choices:
            received.append(chunk.choices[0].delta.content or "")
            finish.append(chunk.choices[0].finish_reason)
    # Mid-stream continuation (issue 11): the fallback continues the cut answer, so it is
    # whole and says it ended.
    assert finish[-1] == "stop" and "".join(received).endswith("hello there"), received


def test_everything_down_is_a_503_in_openai_shape_naming_the_attempts(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    for emulator in emulators:
        emulator.faults.set_default(Fault(status=500))
    with pytest.raises(openai.InternalServerError) as caught:
        client(gateway).chat.completions.create(model="default", messages=HELLO)
    error = caught.value
    assert error.status_code == 503 and error.response.headers.get("retry-after")
    assert isinstance(error.body, dict) and error.body["code"] == "all_providers_failed"
    assert "openai (gpt-4o)" in error.message and "anthropic (claude-3-5-sonnet-20241022)" in error.message
    with pytest.raises(openai.InternalServerError) as streamed:
        list(client(gateway).chat.completions.create(model="default", messages=HELLO, stream=True))
    assert streamed.value.status_code == 503
