"""Gemini as primary and as fallback, through `langchain-google-genai` and the
`google-genai` SDK against the Gemini emulator (real HTTP, Google's wire format)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool
from pydantic import BaseModel

from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.errors import ProviderError
from emulators import Fault, RunningEmulator
from tests.providers_more.conftest import hybrid, outcomes

GEMINI_TAG = "[gemini:gemini-2.5-flash]"


class Candidate(BaseModel):
    name: str
    years_experience: int


@tool
def lookup_job(job_id: str) -> str:
    """Look a job posting up by id."""
    return f"job {job_id}"


def _joined(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


async def _astream(model: HybridChatModel, text: str) -> list[AIMessageChunk]:
    return [chunk async for chunk in model.astream(text)]


def test_gemini_primary_answers_invoke_with_usage(
    make_model: Callable[..., HybridChatModel], gemini_emulator: RunningEmulator
) -> None:
    answer = make_model("gemini", "openai").invoke("hello tokens=6")

    assert isinstance(answer, AIMessage)
    assert str(answer.content).startswith(GEMINI_TAG)
    assert len(str(answer.content).split()) == 7
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] == 7
    assert hybrid(answer)["provider"] == "gemini" and hybrid(answer)["failover"] is False
    request = gemini_emulator.requests[0]
    assert request.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert request.headers["x-goog-api-key"] == "AIza-test-gemini"


def test_gemini_streams_sync_and_async(
    make_model: Callable[..., HybridChatModel], gemini_emulator: RunningEmulator
) -> None:
    import asyncio

    model = make_model("gemini", "openai")
    chunks = list(model.stream("stream tokens=5"))
    achunks = asyncio.run(_astream(model, "stream tokens=5"))

    for got in (chunks, achunks):
        text = "".join(str(c.content) for c in got)
        assert text.startswith(GEMINI_TAG) and len(text.split()) == 6
        assert len([c for c in got if c.content]) == 6  # one SSE event per token
        assert hybrid(_joined(got))["provider"] == "gemini"
    assert all(r.query.get("alt") == "sse" for r in gemini_emulator.requests)


def test_gemini_calls_tools(make_model: Callable[..., HybridChatModel]) -> None:
    model = make_model("gemini", "openai")
    answer = model.bind_tools([lookup_job]).invoke("please lookup_job 42")
    forced = model.bind_tools([lookup_job], tool_choice="lookup_job").invoke("anything")

    for message in (answer, forced):
        assert [c["name"] for c in message.tool_calls] == ["lookup_job"]
        assert isinstance(message.tool_calls[0]["args"]["job_id"], str)
        assert hybrid(message)["provider"] == "gemini"


@pytest.mark.parametrize("method", [None, "function_calling"])
def test_gemini_structured_output(make_model: Callable[..., HybridChatModel], method: str | None) -> None:
    runnable = make_model("gemini", "openai").with_structured_output(
        Candidate, include_raw=True, method=method
    )
    result: dict[str, Any] = runnable.invoke("describe a candidate")  # type: ignore[assignment]

    assert isinstance(result["parsed"], Candidate)
    assert hybrid(result["raw"])["provider"] == "gemini"


# Gemini's failures, as its SDK raises them, and what each means for the call.
GEMINI_FAILURES = {
    "rate-limit-per-minute": (Fault(status=429), "transient", "rate_limited"),
    "daily-quota": (Fault(error_type="quota_exhausted"), "provider_fatal", "quota_exhausted"),
    "overloaded-503": (Fault(status=503), "transient", "overloaded"),
    "internal-500": (Fault(status=500), "transient", "server_error"),
    "deadline-504": (Fault(status=504), "transient", "timeout"),
    "bad-key": (Fault(error_type="invalid_api_key"), "provider_fatal", "authentication"),
    "permission-403": (Fault(status=403), "provider_fatal", "permission"),
    "unknown-model-404": (Fault(status=404), "provider_fatal", "model_not_found"),
    "invalid-400": (Fault(status=400), "request_fatal", "invalid_request"),
    "context-length": (
        Fault(status=400, error_type="context_length_exceeded"),
        "request_fatal",
        "context_length_exceeded",
    ),
    "reset": (Fault(reset=True), "transient", "connection"),
}


SAFETY_BLOCKS = {"prompt-blocked": Fault(error_type="safety"), "answer-blocked": Fault(error_type="safety_response")}


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream"])
@pytest.mark.parametrize("fault", SAFETY_BLOCKS.values(), ids=SAFETY_BLOCKS)
def test_gemini_safety_blocks_are_content_filter_refusals_that_end_the_call(
    make_model: Callable[..., HybridChatModel],
    gemini_emulator: RunningEmulator,
    openai_emulator: RunningEmulator,
    fault: Fault,
    mode: str,
) -> None:
    import asyncio

    gemini_emulator.faults.set_default(fault)
    model = make_model("gemini", "openai")
    with pytest.raises(ProviderError) as caught:
        if mode == "invoke":
            model.invoke("hello")
        elif mode == "ainvoke":
            asyncio.run(model.ainvoke("hello"))
        else:
            list(model.stream("hello"))
    refusal = caught.value.content_filter
    assert refusal is not None and (refusal.provider, refusal.reason) == ("gemini", "safety_blocked")
    assert openai_emulator.request_count == 0  # no failover by default (AI_FAILOVER_ON_CONTENT_FILTER)

    allowed = make_model("gemini", "openai", AI_FAILOVER_ON_CONTENT_FILTER=True)
    answer = allowed.invoke("hello")
    assert outcomes(answer) == [("gemini", "content_filter"), ("openai", "ok")]


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream"])
@pytest.mark.parametrize(("fault", "error_class", "reason"), GEMINI_FAILURES.values(), ids=GEMINI_FAILURES)
def test_gemini_failures_are_classified_and_fail_over_to_openai(
    make_model: Callable[..., HybridChatModel],
    gemini_emulator: RunningEmulator,
    openai_emulator: RunningEmulator,
    fault: Fault,
    error_class: str,
    reason: str,
    mode: str,
) -> None:
    import asyncio

    gemini_emulator.faults.set_default(fault)
    model = make_model("gemini", "openai")

    if mode == "invoke":
        answer: Any = model.invoke("hello")
    elif mode == "ainvoke":
        answer = asyncio.run(model.ainvoke("hello"))
    else:
        answer = _joined(list(model.stream("hello")))

    assert str(answer.content).startswith("[openai:gpt-4o]")
    first = hybrid(answer)["attempts"][0]
    assert (first["provider"], first["outcome"], first["reason"]) == ("gemini", error_class, reason)
    assert outcomes(answer)[-1] == ("openai", "ok") and hybrid(answer)["failover"] is True
    assert gemini_emulator.request_count == 1  # failover is immediate, no retry of gemini
    assert openai_emulator.request_count == 1


def test_gemini_rate_limit_retry_delay_is_read_from_retry_info(
    make_model: Callable[..., HybridChatModel], gemini_emulator: RunningEmulator
) -> None:
    gemini_emulator.faults.push(Fault(status=429, retry_after=0.05, times=1))
    answer = make_model("gemini").invoke("hello")  # no fallback: the retry is on gemini

    assert outcomes(answer) == [("gemini", "transient"), ("gemini", "ok")]
    assert hybrid(answer)["attempts"][0]["retry_after"] == pytest.approx(0.05)


@pytest.mark.parametrize(
    "fault", [Fault(stream_error_after=0), Fault(cut_after=0)], ids=["in-stream-error", "cut-stream"]
)
def test_a_broken_gemini_stream_fails_over_before_any_content(
    make_model: Callable[..., HybridChatModel], gemini_emulator: RunningEmulator, fault: Fault
) -> None:
    gemini_emulator.faults.set_default(fault)
    answer = _joined(list(make_model("gemini", "anthropic").stream("hello tokens=3")))

    assert str(answer.content).startswith("[anthropic:")
    assert outcomes(answer) == [("gemini", "transient"), ("anthropic", "ok")]


@pytest.mark.parametrize("mode", ["invoke", "stream", "tools", "structured"])
def test_gemini_as_fallback_serves_when_the_primary_fails(
    make_model: Callable[..., HybridChatModel],
    anthropic_emulator: RunningEmulator,
    gemini_emulator: RunningEmulator,
    mode: str,
) -> None:
    anthropic_emulator.faults.set_default(Fault(status=529))
    model = make_model("anthropic", "gemini")

    if mode == "invoke":
        answer: Any = model.invoke("hello")
        assert str(answer.content).startswith(GEMINI_TAG)
    elif mode == "stream":
        answer = _joined(list(model.stream("hello tokens=4")))
        assert str(answer.content).startswith(GEMINI_TAG)
    elif mode == "tools":
        answer = model.bind_tools([lookup_job], tool_choice="lookup_job").invoke("find it")
        assert answer.tool_calls[0]["name"] == "lookup_job"
    else:
        result = model.with_structured_output(Candidate, include_raw=True).invoke("who?")
        assert isinstance(result["parsed"], Candidate)  # type: ignore[index]
        answer = result["raw"]  # type: ignore[index]
    assert outcomes(answer) == [("anthropic", "transient"), ("gemini", "ok")]
    assert gemini_emulator.request_count == 1


def test_every_provider_failing_names_gemini_and_its_reason(
    make_model: Callable[..., HybridChatModel],
    gemini_emulator: RunningEmulator,
    openai_emulator: RunningEmulator,
) -> None:
    gemini_emulator.faults.set_default(Fault(error_type="quota_exhausted"))
    openai_emulator.faults.set_default(Fault(status=401))

    with pytest.raises(ProviderError) as caught:
        make_model("gemini", "openai").invoke("hello")

    message = str(caught.value)
    assert "gemini (gemini-2.5-flash): provider_fatal quota_exhausted 429" in message
    assert "AIza-test" not in message  # the key never leaks into errors
