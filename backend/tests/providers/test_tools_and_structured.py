"""Tools and structured output keep failing over, each provider using its native method."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, Field

from emulators import Fault
from tests.providers.conftest import DIRECTIONS, Pair


class JobFit(BaseModel):
    """How well a job fits a candidate."""

    job_id: Literal[11, 22, 33]
    score: int = Field(ge=0, le=100)
    reasons: list[str]


class search_jobs(BaseModel):
    """Search the job board."""

    query: str
    remote: bool = False


def _run(coro_or_value: Any) -> Any:
    return asyncio.run(coro_or_value) if asyncio.iscoroutine(coro_or_value) else coro_or_value


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_bound_tools_are_called_by_the_secondary_after_failover(
    make_pair: Callable[..., Pair], direction: str, is_async: bool
) -> None:
    pair = make_pair(direction)
    pair.primary.faults.set_default(Fault(status=503))
    model = pair.model.bind_tools([search_jobs], tool_choice="search_jobs")
    answer = _run(model.ainvoke("find python jobs") if is_async else model.invoke("find python jobs"))
    assert answer.response_metadata["hybrid"]["provider"] == pair.secondary_name
    [tool_call] = answer.tool_calls
    assert tool_call["name"] == "search_jobs"
    search_jobs.model_validate(tool_call["args"])
    # Both providers received the tool in their own wire format.
    assert "tools" in pair.primary.requests[0].json and "tools" in pair.secondary.requests[0].json


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_tool_round_trip_survives_failover_between_turns(make_pair: Callable[..., Pair], direction: str) -> None:
    pair = make_pair(direction)
    model = pair.model.bind_tools([search_jobs])
    first = model.invoke([HumanMessage("please use search_jobs for rust roles")])
    assert isinstance(first, AIMessage) and first.tool_calls
    assert first.response_metadata["hybrid"]["provider"] == pair.primary_name
    pair.primary.faults.set_default(Fault(status=500))
    history = [
        HumanMessage("please use search_jobs for rust roles"),
        first,
        ToolMessage("3 rust jobs found", tool_call_id=first.tool_calls[0]["id"]),
    ]
    second = model.invoke(history)
    assert second.response_metadata["hybrid"]["provider"] == pair.secondary_name
    assert "3 rust jobs found" in str(second.content)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("method", [None, "function_calling", "json_schema"])
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_structured_output_fails_over_and_parses_with_the_answering_provider(
    make_pair: Callable[..., Pair], direction: str, method: str | None, is_async: bool
) -> None:
    pair = make_pair(direction)
    pair.primary.faults.set_default(Fault(status=429, retry_after_ms=5))
    structured = pair.model.with_structured_output(JobFit, method=method)
    prompt = "Rate job 22 for this candidate"
    result = _run(structured.ainvoke(prompt) if is_async else structured.invoke(prompt))
    assert isinstance(result, JobFit)
    assert result.job_id in (11, 22, 33)
    assert pair.secondary.request_count == 1


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_structured_output_include_raw_keeps_the_provider_metadata(
    make_pair: Callable[..., Pair], direction: str
) -> None:
    pair = make_pair(direction)
    structured = pair.model.with_structured_output(JobFit, include_raw=True)
    result = structured.invoke("Rate job 11")
    assert isinstance(result["parsed"], JobFit)
    assert result["parsing_error"] is None
    assert result["raw"].response_metadata["hybrid"]["provider"] == pair.primary_name


def test_structured_output_from_a_dict_schema(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("anthropic->openai")
    schema = {
        "title": "summary",
        "description": "A short summary",
        "type": "object",
        "properties": {"headline": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["headline", "count"],
    }
    result = pair.model.with_structured_output(schema).invoke("summarise")
    assert isinstance(result, dict) and set(result) >= {"headline", "count"}


class _Counter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts = 0
        self.ends = 0
        self.errors = 0
        self.tokens = 0

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.starts += 1

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self.ends += 1

    def on_llm_error(self, *args: Any, **kwargs: Any) -> None:
        self.errors += 1

    def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        self.tokens += 1


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_callbacks_fire_once_per_call_despite_failover(make_pair: Callable[..., Pair], mode: str) -> None:
    pair = make_pair("openai->anthropic")
    pair.primary.faults.set_default(Fault(status=500))
    counter = _Counter()
    config = {"callbacks": [counter]}
    if mode == "invoke":
        pair.model.invoke("hello tokens=4", config=config)  # type: ignore[arg-type]
        assert counter.tokens == 0
    else:
        chunks = list(pair.model.stream("hello tokens=4", config=config))  # type: ignore[arg-type]
        assert counter.tokens == len(chunks)
    assert (counter.starts, counter.ends, counter.errors) == (1, 1, 0)


def test_one_structured_log_line_per_call(make_pair: Callable[..., Pair], caplog: pytest.LogCaptureFixture) -> None:
    pair = make_pair("openai->anthropic")
    pair.primary.faults.set_default(Fault(status=500))
    with caplog.at_level("INFO", logger="app.ai.providers"):
        pair.model.invoke("hello", config={"metadata": {"feature": "assistant"}})
    lines = [r for r in caplog.records if getattr(r, "event", None) == "ai_call"]
    assert len(lines) == 1
    line: Any = lines[0]
    assert (line.provider, line.failover, line.feature) == ("anthropic", True, "assistant")
    assert [a["outcome"] for a in line.attempts] == ["transient", "ok"]


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_stream_log_line_carries_the_run_metadata(
    make_pair: Callable[..., Pair], caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    pair = make_pair("openai->anthropic")
    config: Any = {"metadata": {"feature": "cover_letter", "request_id": "req-42"}}

    async def consume() -> None:
        async for _ in pair.model.astream("write tokens=3", config=config):
            pass

    with caplog.at_level("INFO", logger="app.ai.providers"):
        if mode == "stream":
            list(pair.model.stream("write tokens=3", config=config))
        else:
            asyncio.run(consume())
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "ai_call"]
    assert (getattr(line, "feature", None), getattr(line, "request_id", None)) == ("cover_letter", "req-42")
