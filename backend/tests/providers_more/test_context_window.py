"""Context-window awareness: estimate before the call, skip what cannot fit, and move
on after a provider's own context-length refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.openai import ADAPTER as OPENAI
from app.ai.providers.adapters.registry import default_context_windows
from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.policies.context_window import (
    DEFAULT_OUTPUT_RESERVE,
    ContextWindowGate,
    context_window,
    estimate_tokens,
)
from app.ai.providers.policies.routing import CallContext
from emulators import Fault, RunningEmulator
from tests.providers_more.conftest import OLLAMA_MODEL, hybrid, outcomes

SMALL_WINDOW = 2_000


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4o-mini-2024-07-18", 128_000),
        ("gpt-4-0613", 8_192),
        ("gpt-4-turbo-preview", 128_000),
        ("gpt-4.1-mini", 1_047_576),
        ("claude-3-5-sonnet-20241022", 200_000),
        ("gemini-2.5-flash-preview-05-20", 1_048_576),
        ("models/gemini-1.5-pro", 2_097_152),
        ("meta-llama/llama-3.1-8b-instruct", 131_072),
        ("llama3:8b", 8_192),
        ("gpt-4x-unknown", None),
        ("my-azure-deployment", None),
        ("", None),
    ],
)
def test_context_window_table_matches_on_name_boundaries(model: str, window: int | None) -> None:
    assert context_window(model, default_context_windows()) == window


def test_estimate_counts_characters_messages_and_tools() -> None:
    messages = [SystemMessage("s" * 400), HumanMessage("h" * 4_000)]
    base = estimate_tokens(messages)
    with_tools = estimate_tokens(messages, tools=[{"name": "t", "description": "d" * 400}])
    with_call = estimate_tokens(
        [*messages, AIMessage("", tool_calls=[{"name": "t", "args": {"q": "x" * 400}, "id": "1"}])]
    )

    assert base == 1_100 + 2 * 4 + 3
    assert with_tools > base + 100
    assert with_call > base + 100


def _member(name: str, model: str, **kwargs: object) -> Member:
    chat = ChatOpenAI(model=model, api_key="sk-x", base_url="http://127.0.0.1:9", max_retries=0)  # type: ignore[arg-type]
    return Member(name, chat, OPENAI, kwargs)


def test_the_gate_skips_only_when_a_larger_window_is_configured() -> None:
    small, large = _member("small", "gpt-4"), _member("large", "gpt-4o")
    long_prompt = CallContext([HumanMessage("x" * 40_000)])  # ~10k tokens
    short_prompt = CallContext([HumanMessage("hello")])

    gate = ContextWindowGate({"small": 8_192, "large": 128_000})
    reason = gate.skip_reason(small, long_prompt)
    assert reason is not None and "> 8192 of gpt-4" in reason
    assert gate.skip_reason(large, long_prompt) is None
    assert gate.skip_reason(small, short_prompt) is None
    # Nothing larger configured: the provider itself decides.
    assert ContextWindowGate({"small": 8_192}).skip_reason(small, long_prompt) is None
    # Another provider's window is unknown: it may fit, so the small one is skipped.
    assert ContextWindowGate({"small": 8_192, "x": None}).skip_reason(small, long_prompt) is not None
    # Unknown window for the member itself: never skipped.
    assert gate.skip_reason(_member("azure", "my-deployment"), long_prompt) is None


def test_the_answer_needs_room_too() -> None:
    member = _member("small", "gpt-4")
    prompt = CallContext([HumanMessage("x" * 4 * (8_192 - 600))])
    gate = ContextWindowGate({"small": 8_192, "large": 128_000})

    assert DEFAULT_OUTPUT_RESERVE > 600
    assert gate.skip_reason(member, prompt) is not None
    assert gate.skip_reason(_member("small", "gpt-4", max_tokens=100), prompt) is None


def test_a_prompt_too_long_for_the_primary_goes_to_a_model_that_fits(
    make_model: Callable[..., HybridChatModel],
    compat_emulator: RunningEmulator,
    gemini_emulator: RunningEmulator,
) -> None:
    small_ollama = [{
        "name": "ollama",
        "base_url": compat_emulator.base_url,
        "model": OLLAMA_MODEL,
        "context_window": SMALL_WINDOW,
    }]
    model = make_model("ollama", "gemini", AI_OPENAI_COMPATIBLE=small_ollama)
    long_text = "résumé " * 2_000  # ~14k characters: too much for a 2k-token window

    answer = model.invoke(long_text)
    short = model.invoke("short question")

    assert hybrid(answer)["provider"] == "gemini"
    assert outcomes(answer) == [("gemini", "ok")]  # no wasted attempt on ollama
    skipped = hybrid(answer)["skipped"]
    assert [s["provider"] for s in skipped] == ["ollama"]
    assert skipped[0]["reason"].startswith("context_window:")
    assert compat_emulator.request_count == 1  # only the short question reached ollama
    assert hybrid(short)["provider"] == "ollama"


def test_a_prompt_too_long_for_every_model_still_gets_the_largest(
    make_model: Callable[..., HybridChatModel], compat_emulator: RunningEmulator
) -> None:
    tiny = [{"name": "ollama", "base_url": compat_emulator.base_url, "model": "m", "context_window": 10}]
    answer = make_model("ollama", None, AI_OPENAI_COMPATIBLE=tiny).invoke("a prompt of some length " * 20)

    assert hybrid(answer)["provider"] == "ollama"


@pytest.mark.parametrize("primary", ["openai", "gemini", "anthropic"])
def test_a_context_length_error_moves_the_call_on(
    make_model: Callable[..., HybridChatModel],
    emulators: dict[str, RunningEmulator],
    primary: str,
) -> None:
    emulators[primary].faults.set_default(Fault(status=400, error_type="context_length_exceeded"))
    fallback = "gemini" if primary != "gemini" else "anthropic"

    answer = make_model(primary, fallback).invoke("a long prompt")

    first = hybrid(answer)["attempts"][0]
    # Anthropic's "prompt is too long" is a plain invalid_request_error: same class.
    reason = "invalid_request" if primary == "anthropic" else "context_length_exceeded"
    assert (first["provider"], first["outcome"], first["reason"]) == (primary, "request_fatal", reason)
    assert outcomes(answer)[-1] == (fallback, "ok")
    assert emulators[primary].request_count == 1  # never retried


def test_after_a_context_length_error_smaller_windows_are_not_tried(
    make_model: Callable[..., HybridChatModel],
    compat_emulator: RunningEmulator,
    openai_emulator: RunningEmulator,
) -> None:
    # openai (gpt-4o, 128k) refuses the prompt as too long; ollama (2k) was already
    # skipped before the call because the estimate did not fit; gemini (1M) answers.
    small_ollama = [{
        "name": "ollama",
        "base_url": compat_emulator.base_url,
        "model": OLLAMA_MODEL,
        "context_window": SMALL_WINDOW,
    }]
    openai_emulator.faults.set_default(Fault(status=400, error_type="context_length_exceeded"))
    model = make_model("openai", "ollama,gemini", AI_OPENAI_COMPATIBLE=small_ollama)

    answer = model.invoke("word " * 3_000)

    assert outcomes(answer) == [("openai", "request_fatal"), ("gemini", "ok")]
    assert compat_emulator.request_count == 0
