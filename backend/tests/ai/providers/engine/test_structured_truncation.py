"""Structured output cut by the output limit is never parsed as a success (issue 11):
one retry at twice the limit, then a typed `OutputTruncatedError` -- through the real
SDKs against the emulators, which cut tool calls and JSON the way the providers do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import BaseModel

from app.ai.providers.errors import OutputTruncatedError, ProviderError
from app.ai.providers.factory import get_llm_provider
from app.core.config import Settings
from emulators import Fault, RunningEmulator

PROMPT = "Describe the candidate."


class Profile(BaseModel):
    name: str
    summary: str
    years: int


def _model(settings: Callable[..., Settings], primary: str, **overrides: object):  # type: ignore[no-untyped-def]
    other = "openai" if primary == "anthropic" else "anthropic"
    return get_llm_provider(settings=settings(AI_PROVIDER=primary, AI_FALLBACK_PROVIDER=other, **overrides))


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_a_cut_tool_call_is_asked_again_at_twice_the_limit(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator, mode: str
) -> None:
    anthropic_emulator.faults.push(Fault(truncate_after=3, times=1))
    structured = _model(emulator_settings, "anthropic", AI_MAX_OUTPUT_TOKENS=300).with_structured_output(Profile)
    profile = structured.invoke(PROMPT) if mode == "invoke" else await structured.ainvoke(PROMPT)
    assert isinstance(profile, Profile) and profile.summary
    limits = [r.json["max_tokens"] for r in anthropic_emulator.requests[-2:]]
    assert limits == [300, 600]


async def test_cut_twice_is_a_typed_error_never_a_parse(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator
) -> None:
    anthropic_emulator.faults.push(Fault(truncate_after=3, times=2))
    model = _model(emulator_settings, "anthropic", AI_MAX_OUTPUT_TOKENS=300)
    with pytest.raises(OutputTruncatedError) as raised:
        await model.with_structured_output(Profile).ainvoke(PROMPT)
    assert raised.value.provider == "anthropic" and raised.value.limits == (300, 600)
    assert "AI_MAX_OUTPUT_TOKENS" in str(raised.value)

    anthropic_emulator.faults.push(Fault(truncate_after=3, times=2))
    result = await model.with_structured_output(Profile, include_raw=True).ainvoke(PROMPT)
    assert result["parsed"] is None and isinstance(result["parsing_error"], OutputTruncatedError)
    assert result["raw"].response_metadata["hybrid"]["truncated"] is True


def test_a_cut_stream_is_refused_by_the_parser(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator
) -> None:
    """A stream sent its raw chunks already: no retry, and no partial object parsed."""
    anthropic_emulator.faults.push(Fault(truncate_after=3, times=1))
    model = _model(emulator_settings, "anthropic")
    parts = list(model.with_structured_output(Profile, include_raw=True).stream(PROMPT))
    final = {k: v for part in parts for k, v in part.items()}
    assert final["parsed"] is None and isinstance(final["parsing_error"], OutputTruncatedError)
    assert anthropic_emulator.request_count == 1


async def test_openai_refusing_a_cut_answer_does_not_trip_its_circuit(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> None:
    """OpenAI's SDK raises on a cut structured answer: a request_fatal `output_limit`
    (the request asked for too little), so the call tries Anthropic; when both are cut,
    one more round at twice the limit -- and OpenAI's circuit stays closed."""
    openai_emulator.faults.push(Fault(truncate_after=3, times=1))
    anthropic_emulator.faults.push(Fault(truncate_after=3, times=1))
    model = _model(emulator_settings, "openai", AI_MAX_OUTPUT_TOKENS=300)
    profile = await model.with_structured_output(Profile, method="json_schema").ainvoke(PROMPT)
    assert isinstance(profile, Profile)
    assert openai_emulator.requests[-1].json["max_completion_tokens"] == 600
    assert model.health.skip_reason("openai") is None

    openai_emulator.faults.push(Fault(truncate_after=3, times=2))
    with pytest.raises(ProviderError) as raised:
        await model.with_members(model.members[:1]).with_structured_output(
            Profile, method="json_schema"
        ).ainvoke(PROMPT)
    assert {a.reason for a in raised.value.attempts} == {"output_limit"}
    assert model.health.skip_reason("openai") is None
