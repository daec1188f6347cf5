"""The official `anthropic` Python SDK against the real server: sync, async, the stream
helper, tools, structured outputs (`messages.parse`) -- healthy, failing before the first
token, failing mid-stream, everything down."""

from __future__ import annotations

import anthropic
import pytest
from pydantic import BaseModel

from emulators import Fault, RunningEmulator
from tests.gateway.conftest import SERVER_TIMEOUT, Gateway

pytestmark = pytest.mark.timeout(SERVER_TIMEOUT)

OPENAI_ANSWER = "[openai:gpt-4o] You said: hello there"
ANTHROPIC_ANSWER = "[anthropic:claude-3-5-sonnet-20241022] You said: hello there"
HELLO = [{"role": "user", "content": "hello there"}]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather of a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


class CityWeather(BaseModel):
    city: str
    celsius: int


def client(gateway: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0, timeout=30)


def test_create_served_by_openai_in_anthropic_shape(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    raw = client(gateway).messages.with_raw_response.create(model="default", max_tokens=200, messages=HELLO)
    message = raw.parse()
    assert message.type == "message" and message.role == "assistant"
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == OPENAI_ANSWER
    assert message.model == "gpt-4o" and message.stop_reason == "end_turn"
    assert message.usage.output_tokens > 0
    assert raw.headers["x-tandem-provider"] == "openai" and raw.headers["x-tandem-failover"] == "false"


def test_system_prompt_and_anthropic_route(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    _, anthropic_emulator = emulators
    message = client(gateway).messages.create(
        model="claude-first", max_tokens=200, system="You are terse.", messages=HELLO, stop_sequences=["STOP"]
    )
    assert message.content[0].text == ANTHROPIC_ANSWER
    sent = anthropic_emulator.requests[-1].json
    assert (
        sent["system"] == "You are terse."
        and sent["stop_sequences"] == ["STOP"]
        and sent["max_tokens"] == 200
    )


def test_primary_failing_before_first_token_gets_whole_answer(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.set_default(Fault(status=429, retry_after=0.01))
    message = client(gateway).messages.create(model="default", max_tokens=200, messages=HELLO)
    assert message.content[0].text == ANTHROPIC_ANSWER and message.model == "claude-3-5-sonnet-20241022"
    with client(gateway).messages.stream(model="default", max_tokens=200, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == ANTHROPIC_ANSWER and final.stop_reason == "end_turn"


async def test_async_stream_event_sequence(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    async with anthropic.AsyncAnthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0) as aclient:
        stream = await aclient.messages.create(model="default", max_tokens=200, messages=HELLO, stream=True)
        events = [event async for event in stream]
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert kinds[-2] == "message_delta" and "content_block_start" in kinds and "content_block_stop" in kinds
    text = "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == OPENAI_ANSWER
    assert events[-2].delta.stop_reason == "end_turn" and events[-2].usage.output_tokens > 0


@pytest.mark.parametrize("route", ["default", "claude-first"])
def test_tool_use_and_tool_result_through_either_provider(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], route: str
) -> None:
    sdk = client(gateway)
    question = [{"role": "user", "content": "What is the weather in Paris? Use get_weather."}]
    first = sdk.messages.create(
        model=route, max_tokens=200, messages=question, tools=[WEATHER_TOOL], tool_choice={"type": "any"}
    )
    assert first.stop_reason == "tool_use"
    use = next(block for block in first.content if block.type == "tool_use")
    assert use.name == "get_weather" and "city" in use.input
    follow_up = [
        *question,
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18 degrees"}],
        },
    ]
    second = sdk.messages.create(model=route, max_tokens=200, messages=follow_up, tools=[WEATHER_TOOL])
    assert "18 degrees" in second.content[0].text


def test_stream_helper_accumulates_tool_use_served_by_openai(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    with client(gateway).messages.stream(
        model="default",
        max_tokens=200,
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "call get_weather for Paris"}],
    ) as stream:
        final = stream.get_final_message()
    use = next(block for block in final.content if block.type == "tool_use")
    assert use.name == "get_weather" and isinstance(use.input, dict) and "city" in use.input
    assert final.stop_reason == "tool_use" and final.model == "gpt-4o"


@pytest.mark.parametrize("route", ["default", "claude-first"])
def test_structured_output_parse(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], route: str
) -> None:
    message = client(gateway).messages.parse(
        model=route,
        max_tokens=300,
        messages=[{"role": "user", "content": "Weather in Oslo"}],
        output_format=CityWeather,
    )
    assert isinstance(message.parsed_output, CityWeather)


def test_stream_failing_mid_way_ends_with_error_event(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.push(Fault(stream_error_after=2, times=1))
    kinds: list[str] = []
    try:
        with client(gateway).messages.stream(model="default", max_tokens=200, messages=HELLO) as stream:
            for event in stream:
                kinds.append(event.type)
    except anthropic.APIStatusError as error:
        assert isinstance(error.body, dict) and error.body["type"] == "error"
        assert "message_stop" not in kinds and "content_block_delta" in kinds
        return
    assert kinds[-1] == "message_stop"  # with mid-stream continuation (issue 11): a whole answer


def test_everything_down_is_an_anthropic_error(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    for emulator in emulators:
        emulator.faults.set_default(Fault(status=503))
    with pytest.raises(anthropic.APIStatusError) as caught:
        client(gateway).messages.create(model="default", max_tokens=100, messages=HELLO)
    error = caught.value
    assert error.status_code == 503
    assert error.body["type"] == "error" and error.body["error"]["type"] == "overloaded_error"
    assert "openai (gpt-4o)" in error.body["error"]["message"]
    with (
        pytest.raises(anthropic.APIStatusError) as streamed,
        client(gateway).messages.stream(model="default", max_tokens=100, messages=HELLO) as stream,
    ):
        stream.get_final_message()
    assert streamed.value.status_code == 503
