"""``ChatOpenAI`` / ``ChatAnthropic`` against the emulators over real HTTP."""

from __future__ import annotations

from typing import Literal

import anthropic
import openai
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from emulators import Fault, RunningEmulator

CLAUDE = "claude-sonnet-4-5"


@tool
def lookup_order(order_id: str, include_items: bool = False) -> str:
    """Look up an order by id."""
    return f"order {order_id}: shipped"


class Verdict(BaseModel):
    """A screening verdict."""

    decision: Literal["accept", "reject", "maybe"]
    score: int = Field(ge=0, le=100)
    reasons: list[str] = Field(min_length=1)
    notes: str | None = None


def chat_openai(emulator: RunningEmulator, **kwargs: object) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini",
        base_url=emulator.base_url,
        api_key="sk-test",  # type: ignore[arg-type]
        max_retries=0,
        timeout=5,
        **kwargs,  # type: ignore[arg-type]
    )


def chat_anthropic(emulator: RunningEmulator, **kwargs: object) -> ChatAnthropic:
    return ChatAnthropic(  # type: ignore[call-arg]
        model=CLAUDE,
        base_url=emulator.base_url,
        api_key="sk-ant-test",  # type: ignore[arg-type]
        max_retries=0,
        timeout=5,
        max_tokens=512,
        **kwargs,  # type: ignore[arg-type]
    )


def test_chat_openai_invoke_and_stream(openai_emulator: RunningEmulator) -> None:
    llm = chat_openai(openai_emulator, stream_usage=True)
    msg = llm.invoke("Say hi to the team")
    assert msg.content == "[openai:gpt-4o-mini] You said: Say hi to the team"
    assert msg.usage_metadata is not None and msg.usage_metadata["output_tokens"] == 8
    chunks = list(llm.stream("Say hi to the team"))
    assert "".join(str(c.content) for c in chunks) == msg.content
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c  # type: ignore[assignment]
    assert isinstance(merged, AIMessageChunk)
    assert merged.usage_metadata is not None and merged.usage_metadata["total_tokens"] > 0
    assert merged.response_metadata.get("finish_reason") == "stop"


async def test_chat_openai_async(openai_emulator: RunningEmulator) -> None:
    llm = chat_openai(openai_emulator)
    msg = await llm.ainvoke("async hello")
    assert str(msg.content).startswith("[openai:gpt-4o-mini]")
    text = "".join([str(c.content) async for c in llm.astream("async hello")])
    assert text == msg.content


def test_chat_openai_tools_roundtrip(openai_emulator: RunningEmulator) -> None:
    llm = chat_openai(openai_emulator).bind_tools([lookup_order])
    first = llm.invoke("please lookup_order 42")
    assert isinstance(first, AIMessage)
    call = first.tool_calls[0]
    assert call["name"] == "lookup_order" and isinstance(call["args"]["order_id"], str)
    streamed = None
    for chunk in llm.stream("please lookup_order 42"):
        streamed = chunk if streamed is None else streamed + chunk
    assert isinstance(streamed, AIMessageChunk) and streamed.tool_calls[0]["name"] == "lookup_order"
    result = lookup_order.invoke(call["args"])
    final = llm.invoke(
        [
            HumanMessage("please lookup_order 42"),
            first,
            ToolMessage(result, tool_call_id=call["id"]),
        ]
    )
    assert final.content == f"[openai:gpt-4o-mini] Based on the tool result: {result}"


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_chat_openai_structured_output(openai_emulator: RunningEmulator, method: str) -> None:
    structured = chat_openai(openai_emulator).with_structured_output(Verdict, method=method)  # type: ignore[arg-type]
    verdict = structured.invoke("Evaluate this candidate")
    assert isinstance(verdict, Verdict)
    assert verdict.decision == "accept" and 0 <= verdict.score <= 100 and verdict.reasons
    body = openai_emulator.requests[-1].json
    assert ("response_format" in body) == (method == "json_schema")


def test_chat_openai_errors(openai_emulator: RunningEmulator) -> None:
    llm = chat_openai(openai_emulator)
    openai_emulator.faults.push(Fault(status=429, retry_after=1, times=1))
    with pytest.raises(openai.RateLimitError) as info:
        llm.invoke("hi")
    assert info.value.code == "rate_limit_exceeded"
    assert info.value.response.headers["retry-after"] == "1"
    openai_emulator.faults.push(Fault(status=400, error_type="context_length_exceeded", times=1))
    with pytest.raises(openai.BadRequestError) as ctx:
        llm.invoke("hi")
    assert ctx.value.code == "context_length_exceeded"
    openai_emulator.faults.push(Fault(stream_error_after=1, times=1))
    with pytest.raises(openai.APIError):
        list(llm.stream("hi"))


def test_chat_openai_cut_stream_is_silent(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(cut_after=2, times=1))
    chunks = list(chat_openai(openai_emulator).stream("one two three four"))
    assert "".join(str(c.content) for c in chunks) == "[openai:gpt-4o-mini] You"
    assert not any(c.response_metadata.get("finish_reason") for c in chunks)


def test_chat_anthropic_invoke_and_stream(anthropic_emulator: RunningEmulator) -> None:
    llm = chat_anthropic(anthropic_emulator)
    msg = llm.invoke("Say hi to the team")
    assert msg.content == f"[anthropic:{CLAUDE}] You said: Say hi to the team"
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["input_tokens"] == 6 and msg.usage_metadata["output_tokens"] == 8
    assert msg.response_metadata["stop_reason"] == "end_turn"
    merged = None
    for chunk in llm.stream("Say hi to the team"):
        merged = chunk if merged is None else merged + chunk
    assert isinstance(merged, AIMessageChunk)
    assert merged.text == msg.content
    assert merged.usage_metadata is not None and merged.usage_metadata["input_tokens"] == 6
    assert merged.response_metadata.get("stop_reason") == "end_turn"


async def test_chat_anthropic_async(anthropic_emulator: RunningEmulator) -> None:
    llm = chat_anthropic(anthropic_emulator)
    msg = await llm.ainvoke("async hello")
    text = "".join([c.text async for c in llm.astream("async hello")])
    assert text == msg.content


def test_chat_anthropic_tools_roundtrip(anthropic_emulator: RunningEmulator) -> None:
    llm = chat_anthropic(anthropic_emulator).bind_tools([lookup_order])
    first = llm.invoke("please lookup_order 42")
    assert isinstance(first, AIMessage)
    call = first.tool_calls[0]
    assert call["name"] == "lookup_order"
    streamed = None
    for chunk in llm.stream("please lookup_order 42"):
        streamed = chunk if streamed is None else streamed + chunk
    assert isinstance(streamed, AIMessageChunk) and streamed.tool_calls[0]["name"] == "lookup_order"
    result = lookup_order.invoke(call["args"])
    final = llm.invoke(
        [
            HumanMessage("please lookup_order 42"),
            first,
            ToolMessage(result, tool_call_id=call["id"]),
        ]
    )
    assert final.content == f"[anthropic:{CLAUDE}] Based on the tool result: {result}"


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_chat_anthropic_structured_output(anthropic_emulator: RunningEmulator, method: str) -> None:
    structured = chat_anthropic(anthropic_emulator).with_structured_output(Verdict, method=method)  # type: ignore[arg-type]
    verdict = structured.invoke("Evaluate this candidate")
    assert isinstance(verdict, Verdict) and verdict.reasons


def test_chat_anthropic_errors(anthropic_emulator: RunningEmulator) -> None:
    llm = chat_anthropic(anthropic_emulator)
    anthropic_emulator.faults.push(Fault(status=529, times=1))
    with pytest.raises(anthropic.OverloadedError) as info:
        llm.invoke("hi")
    assert info.value.type == "overloaded_error"
    anthropic_emulator.faults.push(Fault(stream_error_after=1, times=1))
    with pytest.raises(anthropic.APIStatusError) as streamed:
        list(llm.stream("hi"))
    assert streamed.value.type == "overloaded_error"
    anthropic_emulator.faults.push(Fault(cut_after=1, times=1))
    chunks = list(llm.stream("one two three"))  # silent truncation
    assert not any(c.response_metadata.get("stop_reason") for c in chunks)
