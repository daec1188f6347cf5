"""Prompt-cache usage reported by the emulators, read through the official SDKs.

What a user relies on: cost accounting sees cache reads and writes exactly where the
real APIs would report them (and nowhere else), so these tests pin the rules.
"""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from emulators import RunningEmulator

SONNET = "claude-sonnet-4-5"
HAIKU = "claude-haiku-4-5"
LONG = "policy " * 1500  # 1501 emulator tokens with its block type: above Sonnet's 1024 minimum, below Haiku's 4096
EPHEMERAL = {"type": "ephemeral"}


def _anthropic(emulator: RunningEmulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emulator.base_url, api_key="sk-ant-test", max_retries=0, timeout=5)


def _ask(emulator: RunningEmulator, question: str, model: str = SONNET, marked: bool = True) -> Any:
    system: list[dict[str, Any]] = [{"type": "text", "text": LONG}]
    if marked:
        system[0]["cache_control"] = EPHEMERAL
    return _anthropic(emulator).messages.create(
        model=model, max_tokens=50, system=system,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": question}],
    ).usage


def test_anthropic_writes_then_reads_a_marked_prefix(anthropic_emulator: RunningEmulator) -> None:
    first = _ask(anthropic_emulator, "first question")
    assert first.cache_creation_input_tokens == 1501 and first.cache_read_input_tokens == 0
    assert first.input_tokens == 3  # "user first question": only what follows the breakpoint
    second = _ask(anthropic_emulator, "another question here")
    assert second.cache_read_input_tokens == 1501 and second.cache_creation_input_tokens == 0
    assert second.input_tokens == 4


def test_anthropic_caches_nothing_unmarked_or_below_the_model_minimum(
    anthropic_emulator: RunningEmulator,
) -> None:
    for _ in range(2):
        unmarked = _ask(anthropic_emulator, "q", marked=False)
        assert unmarked.cache_read_input_tokens == 0 and unmarked.cache_creation_input_tokens == 0
        assert unmarked.input_tokens == 1503
        haiku = _ask(anthropic_emulator, "q", model=HAIKU)  # 1500 < Haiku 4.5's 4096 minimum
        assert haiku.cache_read_input_tokens == 0 and haiku.cache_creation_input_tokens == 0


def test_anthropic_rejects_a_fifth_breakpoint(anthropic_emulator: RunningEmulator) -> None:
    blocks = [{"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(5)]
    with pytest.raises(anthropic.BadRequestError) as caught:
        _anthropic(anthropic_emulator).messages.create(
            model=SONNET, max_tokens=10, messages=[{"role": "user", "content": blocks}]  # type: ignore[typeddict-item]
        )
    assert "A maximum of 4 blocks with cache_control" in str(caught.value)


def test_reset_forgets_cached_prefixes(anthropic_emulator: RunningEmulator) -> None:
    _ask(anthropic_emulator, "one")
    anthropic_emulator.reset()
    assert _ask(anthropic_emulator, "two").cache_read_input_tokens == 0


def _openai(emulator: RunningEmulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0, timeout=5)


def _chat(emulator: RunningEmulator, system: str, question: str) -> Any:
    return _openai(emulator).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "system", "content": system}, {"role": "user", "content": question}],
    ).usage


def test_openai_caches_a_repeated_long_prefix_in_128_token_steps(openai_emulator: RunningEmulator) -> None:
    first = _chat(openai_emulator, LONG, "first question")
    assert first.prompt_tokens_details.cached_tokens == 0
    second = _chat(openai_emulator, LONG, "a different question")
    cached = second.prompt_tokens_details.cached_tokens
    # The shared prefix is the system prompt (1500 words + role): the longest
    # 1024 + k*128 step inside it is 1408.
    assert cached == 1408 and second.prompt_tokens > cached


def test_openai_caches_no_short_prompt(openai_emulator: RunningEmulator) -> None:
    for _ in range(2):
        usage = _chat(openai_emulator, "short system prompt", "question")
        assert usage.prompt_tokens_details.cached_tokens == 0
