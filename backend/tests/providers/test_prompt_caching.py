"""Prompt caching: Anthropic gets breakpoints on the stable prefixes, everyone gets the
stable part first, and the cached tokens come back priced at the cached rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import SystemMessage

from app.ai.chains.served import stable_first
from app.ai.providers.adapters.prompt_caching import MAX_BREAKPOINTS, add_breakpoints
from tests.providers.conftest import Pair

INSTRUCTIONS = "rule " * 1200  # ~1200 tokens (emulator words), ~6000 characters
DOCUMENTS = "fact " * 400


def _messages(question: str) -> list[Any]:
    return [SystemMessage(INSTRUCTIONS), stable_first(DOCUMENTS, variable=question)]


def _marks(body: dict[str, Any]) -> list[str]:
    """Where the request carried breakpoints: 'system', 'message:<i>:<j>', 'tool:<i>'."""
    found = [f"tool:{i}" for i, t in enumerate(body.get("tools") or []) if "cache_control" in t]
    system = body.get("system")
    if isinstance(system, list):
        found += ["system" for b in system if "cache_control" in b]
    for i, message in enumerate(body["messages"]):
        if isinstance(message["content"], list):
            found += [f"message:{i}:{j}" for j, b in enumerate(message["content"]) if "cache_control" in b]
    return found


def test_anthropic_prefix_is_marked_written_then_read_cheaper(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("anthropic->openai")
    first = pair.model.invoke(_messages("What is the first fact?"))
    second = pair.model.invoke(_messages("And is there another fact?"))
    body = pair.primary.requests[-1].json
    assert _marks(body) == ["system", "message:0:0"]  # never the question block
    first_details = first.usage_metadata["input_token_details"]  # type: ignore[index]
    second_details = second.usage_metadata["input_token_details"]  # type: ignore[index]
    assert first_details["cache_creation"] > 1000 and first_details.get("cache_read", 0) == 0
    assert second_details["cache_read"] == first_details["cache_creation"]
    first_cost = first.response_metadata["hybrid"]["cost_usd"]
    second_cost = second.response_metadata["hybrid"]["cost_usd"]
    assert second_cost < first_cost * 0.3  # reads at 10% of input, the first call wrote at 125%


def test_anthropic_short_prompt_gets_no_breakpoint(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("anthropic->openai")
    pair.model.invoke([SystemMessage("be brief"), stable_first("short data", variable="question?")])
    assert _marks(pair.primary.requests[-1].json) == []


def test_prompt_caching_can_be_switched_off(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("anthropic->openai", AI_PROMPT_CACHING=False)
    pair.model.invoke(_messages("q"))
    assert _marks(pair.primary.requests[-1].json) == []


def test_openai_gets_no_markers_and_reports_its_automatic_cache(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    pair.model.invoke(_messages("What is the first fact?"))
    second = pair.model.invoke(_messages("And is there another fact?"))
    assert "cache_control" not in str(pair.primary.requests[-1].json)
    cached = second.usage_metadata["input_token_details"]["cache_read"]  # type: ignore[index]
    assert cached >= 1536  # system + documents repeat: whole 128-token steps of it
    assert second.response_metadata["hybrid"]["cost_usd"] < pair.model.invoke(
        [SystemMessage("other " * 1200), stable_first(DOCUMENTS, variable="q")]
    ).response_metadata["hybrid"]["cost_usd"]


def _payload(system_chars: int, tools: int = 0, marked: int = 0) -> dict[str, Any]:
    content = [{"type": "text", "text": "d" * 5000, **({"cache_control": {"type": "ephemeral"}} if i < marked else {})}
               for i in range(max(marked, 1))]
    return {
        "tools": [{"name": f"t{i}", "input_schema": {"description": "x" * 3000}} for i in range(tools)],
        "system": "s" * system_chars,
        "messages": [
            {"role": "user", "content": "earlier question " * 300},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": [*content, {"type": "text", "text": "the new question"}]},
        ],
    }


def test_breakpoints_stay_within_four_counting_the_callers() -> None:
    payload = _payload(6000, tools=2, marked=3)
    added = add_breakpoints(payload, "claude-sonnet-4-5")
    assert added == 1  # three were the caller's: one slot left, for the longest prefix
    assert _marks(payload).count("system") + len(_marks(payload)) - 1 <= MAX_BREAKPOINTS
    assert len(_marks(payload)) == MAX_BREAKPOINTS


def test_breakpoints_respect_the_model_minimum_and_leave_shared_tools_untouched() -> None:
    payload = _payload(6000, tools=1)
    tool = payload["tools"][0]
    # Haiku 4.5 caches from 4096 tokens (~16k characters): only the longest prefix qualifies.
    assert add_breakpoints(payload, "claude-haiku-4-5") == 1
    assert _marks(payload) == ["message:2:0"]
    assert "cache_control" not in tool  # the bound tool definition is copied, not changed
    sonnet = _payload(6000, tools=1)
    # Sonnet: 1024 tokens; the tools alone (~3k characters) are below it, every later prefix above.
    assert add_breakpoints(sonnet, "claude-sonnet-4-5") == 3
    assert _marks(sonnet) == ["system", "message:1:0", "message:2:0"]
