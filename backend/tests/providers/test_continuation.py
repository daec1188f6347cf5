"""The prefill rules: what the continuing provider is sent, how its text is joined, who may continue."""

from __future__ import annotations

import anthropic
import httpx
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from app.ai.providers.adapters.anthropic import ADAPTER as ANTHROPIC
from app.ai.providers.adapters.anthropic import claude_supports_prefill
from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.gemini import ADAPTER as GEMINI
from app.ai.providers.adapters.openai import ADAPTER as OPENAI
from app.ai.providers.policies.continuation import (
    Joiner,
    PrefillRefusals,
    can_continue,
    continuers,
    is_prefill_refusal,
    prefill_for,
    splice,
)

QUESTION = [SystemMessage(content="be brief"), HumanMessage(content="write it")]


def _openai(name: str = "openai") -> Member:
    model = ChatOpenAI(model="gpt-4o", api_key=SecretStr("sk-x"), base_url="http://127.0.0.1:9")
    return Member(name, model, OPENAI)


def _claude(model_name: str = "claude-sonnet-4-5") -> Member:
    model = ChatAnthropic(model=model_name, api_key=SecretStr("sk-ant-x"), base_url="http://127.0.0.1:9")  # type: ignore[call-arg]
    return Member("anthropic", model, ANTHROPIC)


# ------------------------------------------------------------ the prefill
def test_prefill_appends_the_sent_text_without_its_trailing_whitespace() -> None:
    prefill = prefill_for(QUESTION, "Dear team,\n\nI am ")
    assert prefill.messages[:2] == QUESTION
    assert prefill.messages[-1] == AIMessage(content="Dear team,\n\nI am")
    assert prefill.held_back == " "
    assert len(QUESTION) == 2  # the caller's list is not modified


def test_prefill_extends_the_callers_own_final_assistant_turn() -> None:
    messages = [*QUESTION, AIMessage(content="{")]
    prefill = prefill_for(messages, '"name": "Ada", ')
    assert prefill.messages[-1] == AIMessage(content='{"name": "Ada",')
    assert len(prefill.messages) == 3


@pytest.mark.parametrize(
    ("sent", "continued", "whole"),
    [
        ("alpha bravo", " charlie delta", "alpha bravo charlie delta"),  # word boundary
        ("alpha bra", "vo charlie", "alpha bravo charlie"),  # mid-word
        ("alpha bravo ", " charlie", "alpha bravo charlie"),  # held-back space, not doubled
        ("alpha bravo ", "charlie", "alpha bravo charlie"),  # held-back space, not missing
        ("Dear team,\n\n", "\n\nI write", "Dear team,\n\nI write"),
        ("alpha", "", "alpha"),
    ],
)
def test_splice_joins_without_doubled_or_missing_words(sent: str, continued: str, whole: str) -> None:
    assert splice(sent, continued) == whole


def test_joiner_drops_leading_whitespace_across_pieces_then_passes_text_through() -> None:
    joiner = Joiner(" ")
    assert [joiner.feed(p) for p in ["", " ", " charlie", " delta", " "]] == ["", "", "charlie", " delta", " "]
    assert Joiner("").feed(" charlie") == " charlie"


# ---------------------------------------------------------- capabilities
@pytest.mark.parametrize(
    ("model", "supported"),
    [
        ("claude-sonnet-4-5", True),
        ("claude-sonnet-4-5-20250929", True),
        ("claude-opus-4-20250514", True),
        ("claude-3-5-sonnet-20241022", True),
        ("claude-haiku-4-5", True),
        ("claude-opus-4-6", False),
        ("claude-sonnet-4-6", False),
        ("claude-opus-5", False),
    ],
)
def test_claude_prefill_support_by_model(model: str, supported: bool) -> None:
    assert claude_supports_prefill(model) is supported


def test_declared_capabilities() -> None:
    assert not OPENAI.supports_prefill("gpt-4o")
    assert GEMINI.supports_prefill("gemini-2.5-flash")
    assert not GEMINI.supports_prefill("gemini-3.6-flash")
    assert not GEMINI.supports_prefill("models/gemini-3.5-flash-lite-001")


def test_continuers_skip_openai_refusers_and_structured_members() -> None:
    openai_member, claude = _openai(), _claude()
    refusals = PrefillRefusals()

    assert continuers([openai_member, claude], openai_member) == [claude]
    assert continuers([claude, openai_member], claude) == [claude]  # itself, as the last resort
    assert continuers([openai_member, claude], openai_member, exclude={"anthropic"}) == []

    refusals.refused("anthropic", "claude-sonnet-4-5")
    assert continuers([openai_member, claude], openai_member, refusals=refusals) == []

    class Letter(BaseModel):
        text: str

    structured = claude.with_structured_output(Letter)
    assert not can_continue(structured)


def test_continuers_prefer_the_members_after_the_failed_one() -> None:
    first, second = _claude("claude-haiku-4-5"), _claude("claude-sonnet-4-5")
    second.name = "anthropic-b"
    third = _openai()
    assert continuers([first, second, third], second) == [first, second]
    assert continuers([first, third, second], first) == [second, first]


def test_prefill_refusal_is_a_400_anywhere_in_the_cause_chain() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/v1/messages")
    bad = anthropic.BadRequestError(
        "This model does not support assistant message prefill.",
        response=httpx.Response(400, request=request),
        body=None,
    )
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = bad
    overloaded = anthropic.InternalServerError(
        "Overloaded", response=httpx.Response(529, request=request), body=None
    )
    assert is_prefill_refusal(bad) and is_prefill_refusal(wrapped)
    assert not is_prefill_refusal(overloaded)
