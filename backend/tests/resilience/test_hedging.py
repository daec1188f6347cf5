"""Hedged requests against the emulators over real HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from app.ai.providers.errors import ProviderError
from app.ai.providers.policies.hedge import ADAPTIVE_MIN_SAMPLES, HedgePolicy
from app.core.config import ConfigError, Settings, load_settings
from emulators import Fault, RunningEmulator
from emulators.content import filler_words
from tests.resilience.conftest import build_model, established_connections

STALL = 1.5


def _outcomes(meta: dict) -> list[tuple[str, str]]:
    return [(a["provider"], a["outcome"]) for a in meta["attempts"]]


async def test_stalled_primary_loses_the_race_to_the_secondary(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=100))
    emulators["openai"].faults.push(Fault(delay=STALL, times=1))
    port = emulators["openai"].port
    before = established_connections(port)
    started = time.monotonic()
    answer = await model.ainvoke("hello tokens=5")
    elapsed = time.monotonic() - started
    meta = answer.response_metadata["hybrid"]
    assert str(answer.content).startswith("[anthropic:")
    assert elapsed < STALL / 2
    assert meta["provider"] == "anthropic" and meta["failover"] is True
    assert _outcomes(meta) == [("openai", "cancelled"), ("anthropic", "ok")]
    assert meta["attempts"][0]["reason"] == "hedge_lost"
    assert emulators["openai"].request_count == 1 and emulators["anthropic"].request_count == 1
    assert established_connections(port) <= before  # the loser's connection was closed, not leaked


async def test_fast_primary_is_not_hedged(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=300))
    answer = await model.ainvoke("hello")
    assert answer.response_metadata["hybrid"]["provider"] == "openai"
    assert emulators["anthropic"].request_count == 0


async def test_stream_hedges_on_time_to_first_token_without_duplicates(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=100))
    emulators["openai"].faults.push(Fault(delay=STALL, times=1))
    before = established_connections(emulators["openai"].port)
    started = time.monotonic()
    chunks = [chunk async for chunk in model.astream("count tokens=12")]
    assert time.monotonic() - started < STALL / 2
    text = "".join(str(c.content) for c in chunks)
    assert text.startswith("[anthropic:")
    assert len(text.split("] ", 1)[1].split()) == 12  # complete and not duplicated
    meta = next(c.response_metadata["hybrid"] for c in chunks if "hybrid" in c.response_metadata)
    assert _outcomes(meta) == [("openai", "cancelled"), ("anthropic", "ok")]
    assert established_connections(emulators["openai"].port) <= before


async def test_stream_that_fails_before_content_moves_on_within_the_race(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=500))
    emulators["openai"].faults.push(Fault(status=503, times=1))
    chunks = [chunk async for chunk in model.astream("tokens=4")]
    text = "".join(str(c.content) for c in chunks)
    assert text.startswith("[anthropic:") and len(text.split("] ", 1)[1].split()) == 4


async def test_stream_cut_after_content_raises_instead_of_truncating(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=500, AI_STREAM_RESUME="off"))
    emulators["openai"].faults.push(Fault(cut_after=3, times=1))
    received = []
    with pytest.raises(Exception) as caught:
        async for chunk in model.astream("tokens=10"):
            received.append(str(chunk.content))
    assert "after content" in str(caught.value)
    assert "".join(received).startswith("[openai:")


async def test_a_hedged_stream_cut_after_content_is_continued(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=500))
    emulators["openai"].faults.push(Fault(cut_after=3, times=1))
    text, meta = "", {}
    async for chunk in model.astream("tokens=10"):
        text += chunk.text
        meta = chunk.response_metadata.get("hybrid") or meta
    assert text == "[openai:gpt-4o] " + filler_words(10, seed="tokens=10")
    assert meta["resumed"] is True and meta["provider"] == "anthropic"


class Verdict(BaseModel):
    label: str
    score: int


async def test_structured_output_is_hedged(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=100))
    emulators["openai"].faults.push(Fault(delay=STALL, times=1))
    started = time.monotonic()
    result = await model.with_structured_output(Verdict, include_raw=True).ainvoke("rate this")
    assert time.monotonic() - started < STALL / 2
    assert isinstance(result["parsed"], Verdict)
    assert _outcomes(result["raw"].response_metadata["hybrid"]) == [
        ("openai", "cancelled"),
        ("anthropic", "ok"),
    ]


async def test_no_call_exceeds_the_deadline_whatever_the_faults(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    settings = resilience_settings(
        AI_REQUEST_TIMEOUT=0.6, AI_REQUEST_DEADLINE=0.8, AI_HEDGE_AFTER_MS=100
    )
    model = build_model(settings)
    before = {name: established_connections(e.port) for name, e in emulators.items()}
    for emulator in emulators.values():
        emulator.faults.set_default(Fault(hang=True))
    for call in (model.ainvoke("hi"), _drain(model.astream("hi"))):
        started = time.monotonic()
        with pytest.raises(ProviderError):
            await call
        assert time.monotonic() - started < settings.AI_REQUEST_DEADLINE + 0.2
    for emulator in emulators.values():
        emulator.faults.clear()
    await asyncio.sleep(0.05)
    for name, emulator in emulators.items():
        assert established_connections(emulator.port) <= before[name]


async def _drain(stream: object) -> None:
    async for _ in stream:  # type: ignore[attr-defined]
        pass


async def test_cancelled_call_releases_both_connections(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_AFTER_MS=50))
    before = {name: established_connections(e.port) for name, e in emulators.items()}
    for emulator in emulators.values():
        emulator.faults.push(Fault(delay=STALL, times=1))
    task = asyncio.create_task(model.ainvoke("hi"))
    for _ in range(100):  # both attempts in flight (the hedge starts after 50 ms)
        if emulators["openai"].request_count == emulators["anthropic"].request_count == 1:
            break
        await asyncio.sleep(0.01)
    assert emulators["openai"].request_count == 1 and emulators["anthropic"].request_count == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    for name, emulator in emulators.items():
        assert established_connections(emulator.port) <= before[name]


def test_adaptive_policy_hedges_after_the_observed_p95() -> None:
    policy = HedgePolicy("adaptive", after_ms=None, min_ms=5.0)
    assert policy.delay_for("openai") is None  # no samples, no fixed fallback: no hedge
    for value in range(1, ADAPTIVE_MIN_SAMPLES + 1):
        policy.observe("openai", float(value * 10))
    assert policy.delay_for("openai") == pytest.approx(0.19)
    assert HedgePolicy("adaptive", after_ms=250.0).delay_for("anthropic") == pytest.approx(0.25)
    assert HedgePolicy().delay_for("openai") is None and not HedgePolicy().enabled


async def test_adaptive_mode_learns_then_hedges(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_HEDGE_MODE="adaptive", AI_HEDGE_MIN_MS=20))
    for _ in range(ADAPTIVE_MIN_SAMPLES):
        await model.ainvoke("warm up")
    assert model.hedge.p95_ms("openai") is not None
    emulators["openai"].faults.push(Fault(delay=STALL, times=1))
    started = time.monotonic()
    answer = await model.ainvoke("hello")
    assert time.monotonic() - started < STALL / 2
    assert answer.response_metadata["hybrid"]["provider"] == "anthropic"


def test_hedge_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"AI_HEDGE_MODE='sometimes'.*allowed values: off, fixed, adaptive"):
        load_settings(AI_HEDGE_MODE="sometimes", _env_file=None)
    with pytest.raises(ConfigError, match="AI_HEDGE_MODE='fixed' needs AI_HEDGE_AFTER_MS"):
        load_settings(AI_HEDGE_MODE="fixed", _env_file=None)
    with pytest.raises(ConfigError, match="AI_HEDGE_AFTER_MS=-5"):
        load_settings(AI_HEDGE_AFTER_MS=-5, _env_file=None)
    assert load_settings(AI_HEDGE_AFTER_MS=200, _env_file=None).hedge_mode == "fixed"
