"""LangChain's own `ChatOpenAI(base_url=...)` and `ChatAnthropic(base_url=...)` pointed at
the gateway: invoke, stream, tools, structured output -- healthy, failing before the
first token, failing mid-stream, everything down."""

from __future__ import annotations

import openai
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessageChunk
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from emulators import Fault, RunningEmulator
from tests.gateway.conftest import SERVER_TIMEOUT, Gateway

pytestmark = pytest.mark.timeout(SERVER_TIMEOUT)

OPENAI_ANSWER = "[openai:gpt-4o] You said: hello there"
ANTHROPIC_ANSWER = "[anthropic:claude-3-5-sonnet-20241022] You said: hello there"


class CityWeather(BaseModel):
    """Weather of a city."""

    city: str
    celsius: int


def get_weather(city: str) -> str:
    """Current weather of a city."""
    return f"sunny in {city}"


def chat_openai(gateway: Gateway, model: str = "default") -> ChatOpenAI:
    return ChatOpenAI(base_url=gateway.openai_base, api_key=gateway.key, model=model, max_retries=0)


def chat_anthropic(gateway: Gateway, model: str = "default") -> ChatAnthropic:
    return ChatAnthropic(base_url=gateway.url, api_key=gateway.key, model=model, max_retries=0)


@pytest.mark.parametrize("make", [chat_openai, chat_anthropic])
def test_invoke_and_stream_healthy(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], make
) -> None:
    model = make(gateway)
    answer = model.invoke("hello there")
    assert answer.text == OPENAI_ANSWER
    assert answer.usage_metadata and answer.usage_metadata["output_tokens"] > 0
    merged: AIMessageChunk | None = None
    for chunk in model.stream("hello there"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None and merged.text == OPENAI_ANSWER


@pytest.mark.parametrize("make", [chat_openai, chat_anthropic])
def test_primary_failing_before_first_token(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], make
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.set_default(Fault(status=500))
    model = make(gateway)
    assert model.invoke("hello there").text == ANTHROPIC_ANSWER
    assert "".join(chunk.text for chunk in model.stream("hello there")) == ANTHROPIC_ANSWER


@pytest.mark.parametrize("make", [chat_openai, chat_anthropic])
def test_tools_and_structured_output(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], make
) -> None:
    for route in ("default", "claude-first"):
        model = make(gateway, route)
        call = model.bind_tools([get_weather], tool_choice="get_weather").invoke("weather in Paris?")
        assert call.tool_calls and call.tool_calls[0]["name"] == "get_weather"
        assert "city" in call.tool_calls[0]["args"]
        structured = model.with_structured_output(CityWeather).invoke("weather in Oslo as JSON")
        assert isinstance(structured, CityWeather)


async def test_async_mid_stream_failure_is_an_error_not_a_short_answer(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.push(Fault(stream_error_after=2, times=1))
    text = ""
    try:
        async for chunk in chat_openai(gateway).astream("hello there"):
            text += chunk.text
    except openai.APIError:
        assert OPENAI_ANSWER.startswith(text) and text != OPENAI_ANSWER
        return
    assert text.endswith("You said: hello there")  # continuation (issue 11) gives the whole answer


@pytest.mark.parametrize("make", [chat_openai, chat_anthropic])
def test_everything_down_raises_the_sdk_error(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], make
) -> None:
    for emulator in emulators:
        emulator.faults.set_default(Fault(status=500))
    with pytest.raises((openai.InternalServerError, Exception)) as caught:
        make(gateway).invoke("hello there")
    assert getattr(caught.value, "status_code", None) == 503
