"""Answer endings as the real integrations report them: complete, truncated, filtered."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage

from app.ai.providers.adapters.base import Member
from app.ai.providers.errors import ContentFilteredError
from app.ai.providers.factory import get_llm_provider
from app.ai.providers.policies.endings import check_ending, is_truncated
from app.core.config import Settings
from emulators import Fault, RunningEmulator


def _members(settings: Settings) -> dict[str, Member]:
    return {m.name: m for m in get_llm_provider(settings=settings).members}


def _answer(member: Member, streamed: bool) -> BaseMessage:
    if not streamed:
        return member.model.invoke("letter tokens=12")
    total: AIMessageChunk | None = None
    for chunk in member.model.stream("letter tokens=12"):
        total = chunk if total is None else total + chunk
    assert total is not None
    return total


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize(("provider", "reason"), [("openai", "length"), ("anthropic", "max_tokens")])
def test_output_limit_is_reported_as_truncated(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    provider: str,
    reason: str,
    streamed: bool,
) -> None:
    member = _members(emulator_settings())[provider]
    emulator = openai_emulator if provider == "openai" else anthropic_emulator
    emulator.faults.push(Fault(truncate_after=4, times=1))
    ending = check_ending(member, _answer(member, streamed))
    assert ending == reason and is_truncated(ending)

    assert not is_truncated(check_ending(member, _answer(member, streamed)))  # a complete answer


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize(("provider", "reason"), [("openai", "content_filter"), ("anthropic", "refusal")])
def test_content_filter_endings_raise_their_own_error(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    provider: str,
    reason: str,
    streamed: bool,
) -> None:
    member = _members(emulator_settings())[provider]
    emulator = openai_emulator if provider == "openai" else anthropic_emulator
    emulator.faults.push(Fault(content_filter_after=2))
    with pytest.raises(ContentFilteredError) as caught:
        check_ending(member, _answer(member, streamed))
    assert caught.value.kind == reason and caught.value.provider == provider
    assert reason in str(caught.value)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_the_hybrid_flags_a_cut_answer_on_every_path(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    provider: str,
) -> None:
    """ChatAnthropic keeps `stop_reason` in `llm_output` on invoke: the hybrid read it too
    late and passed a cut answer off as complete."""
    other = "anthropic" if provider == "openai" else "openai"
    model = get_llm_provider(settings=emulator_settings(AI_PROVIDER=provider, AI_FALLBACK_PROVIDER=other))
    emulator = openai_emulator if provider == "openai" else anthropic_emulator
    emulator.faults.push(Fault(truncate_after=4, times=4))
    answers: list[BaseMessage] = [model.invoke("letter tokens=12"), await model.ainvoke("letter tokens=12")]
    streamed: AIMessageChunk | None = None
    async for chunk in model.astream("letter tokens=12"):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    for answer in [*answers, streamed, model.batch(["letter tokens=12"])[0]]:
        meta = answer.response_metadata["hybrid"]
        assert meta["truncated"] is True and is_truncated(meta["finish_reason"])
        assert len(str(answer.text).split()) == 4
