"""Rescuing the answer (issue 11), end to end against the emulators over real HTTP.

Every answer is checked word for word: the emulator's `tokens=N` answer is N
deterministic words, the same whichever provider continues it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.tools import tool

from app.ai.providers.errors import ProviderError, StreamInterruptedError
from app.ai.providers.factory import get_llm_provider
from app.ai.providers.hybrid import HybridChatModel
from app.core.config import Settings
from emulators import Fault, RunningEmulator
from emulators.content import filler_words

QUESTION = "cover letter tokens=30"
BODY = filler_words(30, seed=QUESTION)


def _model(settings: Settings) -> HybridChatModel:
    """The model of a fresh runtime: its own health figures (no other test's failures)."""
    return get_llm_provider(settings=settings)


def _streamed(model: HybridChatModel, mode: str, prompt: Any = QUESTION) -> AIMessageChunk:
    async def collect() -> list[AIMessageChunk]:
        return [chunk async for chunk in model.astream(prompt)]

    chunks = list(model.stream(prompt)) if mode == "stream" else asyncio.run(collect())
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def _meta(message: Any) -> dict[str, Any]:
    return dict(message.response_metadata["hybrid"])


STREAM_CUTS = {
    "in-stream-error": Fault(stream_error_after=5),
    "cut-connection": Fault(cut_after=5),
    "malformed-event": Fault(malformed_after=5),
}


@pytest.mark.parametrize("mode", ["stream", "astream"])
@pytest.mark.parametrize("fault", STREAM_CUTS.values(), ids=STREAM_CUTS)
def test_a_cut_stream_is_continued_on_the_next_provider_word_for_word(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    fault: Fault,
    mode: str,
) -> None:
    openai_emulator.faults.push(Fault(**{**fault.to_dict(), "times": 1}))
    answer = _streamed(_model(emulator_settings()), mode)

    assert answer.text == f"[openai:gpt-4o] {BODY}"  # no word doubled, none missing
    meta = _meta(answer)
    assert meta["resumed"] is True and meta["resumed_from"] == "openai"
    assert meta["provider"] == "anthropic" and meta["failover"] is True
    assert meta["resumed_after_chars"] == len("[openai:gpt-4o] " + " ".join(BODY.split()[:4]))
    prefill = anthropic_emulator.requests[-1].json["messages"][-1]
    assert prefill["role"] == "assistant" and not str(prefill["content"]).endswith(" ")
    assert [a["outcome"] for a in meta["attempts"]] == ["transient", "ok"]


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_a_stalled_stream_is_cut_by_the_idle_timeout_and_continued(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator, mode: str
) -> None:
    openai_emulator.faults.push(Fault(stall_after=3, times=1))
    model = _model(emulator_settings(AI_STREAM_IDLE_TIMEOUT=0.3))
    started = time.monotonic()
    answer = _streamed(model, mode)
    assert time.monotonic() - started < 5  # not the SDK's read timeout
    assert answer.text == f"[openai:gpt-4o] {BODY}"
    assert _meta(answer)["attempts"][0]["reason"] == "stream_idle"


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_first_token_timeout_abandons_a_provider_that_only_sent_headers(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator, mode: str
) -> None:
    openai_emulator.faults.push(Fault(first_token_delay=2.0, times=1))
    started = time.monotonic()
    answer = _streamed(_model(emulator_settings(AI_FIRST_TOKEN_TIMEOUT=0.3)), mode)
    assert time.monotonic() - started < 1.9  # abandoned before the provider's first token
    meta = _meta(answer)
    assert answer.text.startswith("[anthropic:") and meta["resumed"] is False
    assert meta["attempts"][0]["reason"] == "first_token_timeout"
    assert openai_emulator.request_count == 1  # never retried: it sent nothing at all


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_resume_off_keeps_the_typed_error(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    mode: str,
) -> None:
    openai_emulator.faults.push(Fault(cut_after=5, times=1))
    with pytest.raises(StreamInterruptedError, match="openai stream failed after content"):
        _streamed(_model(emulator_settings(AI_STREAM_RESUME="off")), mode)
    assert anthropic_emulator.request_count == 0


def test_openai_is_never_sent_a_prefill_anthropic_continues_itself(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    anthropic_emulator.faults.push(Fault(cut_after=5, times=1))
    model = _model(emulator_settings(AI_PROVIDER="anthropic", AI_FALLBACK_PROVIDER="openai"))
    answer = _streamed(model, "astream")
    assert answer.text == f"[anthropic:{_meta(answer)['model']}] {BODY}"
    assert _meta(answer)["provider"] == "anthropic" and _meta(answer)["resumed"] is True
    assert openai_emulator.request_count == 0


def test_a_prefill_rejection_never_replaces_the_original_failure_and_is_remembered(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    model = _model(emulator_settings())
    anthropic_emulator.faults.push(Fault(reject_prefill=True, times=1))
    openai_emulator.faults.push(Fault(cut_after=5, times=1))
    with pytest.raises(StreamInterruptedError) as caught:
        _streamed(model, "astream")
    assert "openai stream failed after content" in str(caught.value)
    assert "400" not in str(caught.value)
    assert [a.outcome for a in caught.value.attempts] == ["transient", "prefill_refused"]

    openai_emulator.faults.push(Fault(cut_after=5, times=1))
    before = anthropic_emulator.request_count
    with pytest.raises(StreamInterruptedError):
        _streamed(model, "astream")
    assert anthropic_emulator.request_count == before  # learnt: not asked to continue again


def test_a_cut_tool_call_is_never_continued(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    @tool
    def lookup_salary(role: str) -> str:
        """Salary band for a role."""
        return "x"

    openai_emulator.faults.push(Fault(cut_after=2, times=1))
    bound = _model(emulator_settings()).bind_tools([lookup_salary])

    async def collect() -> None:
        async for _ in bound.astream([HumanMessage(content="please lookup_salary for a nurse")]):
            pass

    with pytest.raises(StreamInterruptedError):
        asyncio.run(collect())
    assert anthropic_emulator.request_count == 0


# ------------------------------------------------------------------ truncation
@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream", "astream"])
def test_an_answer_cut_by_the_output_limit_is_flagged(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator, mode: str
) -> None:
    openai_emulator.faults.push(Fault(truncate_after=4, times=1))
    model = _model(emulator_settings())
    if mode == "invoke":
        answer: Any = model.invoke(QUESTION)
    elif mode == "ainvoke":
        answer = asyncio.run(model.ainvoke(QUESTION))
    else:
        answer = _streamed(model, mode)
    meta = _meta(answer)
    assert meta["truncated"] is True and meta["finish_reason"] == "length"
    assert len(answer.text.split()) == 4


def test_every_request_carries_an_output_limit(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator
) -> None:
    model = _model(emulator_settings(AI_MAX_OUTPUT_TOKENS=777))
    model.invoke("hi")
    openai_emulator.faults.push(Fault(status=500, times=1))
    model.invoke("hi")
    assert openai_emulator.requests[0].json["max_completion_tokens"] == 777
    assert anthropic_emulator.requests[0].json["max_tokens"] == 777
    assert _meta(model.invoke("hi", max_tokens=5))["truncated"] is False  # the caller's own limit wins
    assert openai_emulator.requests[-1].json["max_completion_tokens"] == 5


# ------------------------------------------------------------- content filters
@pytest.mark.parametrize("mode", ["invoke", "astream"])
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(content_filter_after=3), "content_filter"),
        (Fault(error_type="content_policy_violation"), "content_policy_violation"),
        (Fault(error_type="content_filter"), "content_filter"),
    ],
    ids=["finish-content-filter", "content-policy-violation", "azure-content-filter"],
)
def test_content_policy_refusals_end_the_call_without_failover(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    fault: Fault,
    reason: str,
    mode: str,
) -> None:
    openai_emulator.faults.set_default(fault)
    model = _model(emulator_settings(AI_RETRY_WAIT_MAX=2.5))
    with pytest.raises((ProviderError, StreamInterruptedError)) as caught:
        if mode == "invoke":
            model.invoke(QUESTION)
        else:
            _streamed(model, mode)
    error = caught.value
    if isinstance(error, StreamInterruptedError):  # filtered after content was streamed
        assert isinstance(error.__cause__, Exception) and "content_filter" in str(error)
    else:
        refusal = error.content_filter
        assert refusal is not None and refusal.reason == reason
    assert anthropic_emulator.request_count == 0 and openai_emulator.request_count == 1

    allowed = _model(emulator_settings(AI_FAILOVER_ON_CONTENT_FILTER=True))
    if mode == "invoke":
        assert allowed.invoke(QUESTION).text.startswith("[anthropic:")


# ----------------------------------------------------------------- blips
@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "astream"])
def test_one_blip_of_a_healthy_primary_is_retried_not_failed_over(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    mode: str,
) -> None:
    openai_emulator.faults.push(Fault(status=529, error_type="overloaded_error", times=1))
    model = _model(emulator_settings(AI_RETRY_WAIT_MAX=2.5, AI_BACKOFF_BASE=0.05))
    if mode == "invoke":
        answer: Any = model.invoke(QUESTION)
    elif mode == "ainvoke":
        answer = asyncio.run(model.ainvoke(QUESTION))
    else:
        answer = _streamed(model, mode)
    meta = _meta(answer)
    assert meta["provider"] == "openai" and meta["failover"] is False
    assert [a["outcome"] for a in meta["attempts"]] == ["transient", "ok"]
    assert anthropic_emulator.request_count == 0


def test_a_sustained_failure_or_a_long_retry_after_fails_over(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    model = _model(emulator_settings(AI_RETRY_WAIT_MAX=2.5, AI_BACKOFF_BASE=0.05))
    openai_emulator.faults.push(Fault(status=429, retry_after=5, times=1))
    assert _meta(model.invoke(QUESTION))["provider"] == "anthropic"  # wait > AI_RETRY_WAIT_MAX

    openai_emulator.faults.set_default(Fault(status=500))
    for _ in range(3):
        model.invoke(QUESTION)
    before = openai_emulator.request_count
    assert _meta(model.invoke(QUESTION))["provider"] == "anthropic"
    assert openai_emulator.request_count == before + 1  # an outage: no retry any more

    openai_emulator.faults.clear()
    first_only = _model(emulator_settings(AI_RETRY_WAIT_MAX=0))
    openai_emulator.faults.push(Fault(status=500, times=1))
    assert _meta(first_only.invoke(QUESTION))["provider"] == "anthropic"
