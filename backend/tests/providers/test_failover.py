"""Failover through the real SDKs over real HTTP, for every error class and call path.

Each test injects a fault into the primary's emulator and checks what a user sees:
who answered, whether failover happened, how the failure was classified, and how
many requests each provider received (retry and failover policy made visible).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

from app.ai.providers.errors import ProviderError, StreamInterruptedError
from emulators import Fault
from tests.providers.conftest import DIRECTIONS, Pair

MODES = ["invoke", "ainvoke", "stream", "astream"]


async def _acollect(pair: Pair, prompt: str) -> AIMessageChunk:
    chunks = [c async for c in pair.model.astream(prompt)]
    return _merge(chunks)


def _merge(chunks: list[BaseMessage]) -> Any:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk  # type: ignore[operator]
    return full


def call(pair: Pair, mode: str, prompt: str = "Tell me about jobs tokens=6") -> Any:
    """Run one call the way `mode` says; streams are merged into one message."""
    if mode == "invoke":
        return pair.model.invoke(prompt)
    if mode == "ainvoke":
        return asyncio.run(pair.model.ainvoke(prompt))
    if mode == "stream":
        return _merge(list(pair.model.stream(prompt)))
    return asyncio.run(_acollect(pair, prompt))


def hybrid(message: BaseMessage) -> dict[str, Any]:
    meta: dict[str, Any] = message.response_metadata["hybrid"]
    return meta


def _transient(provider: str) -> dict[str, Fault]:
    overload = Fault(status=529) if provider == "anthropic" else Fault(status=503)
    return {
        "429-retry-after": Fault(status=429, retry_after_ms=10),
        "500": Fault(status=500),
        "overloaded": overload,
        "408": Fault(status=408),
        "timeout": Fault(hang=True),
        "reset": Fault(reset=True),
    }


def _provider_fatal(provider: str) -> dict[str, Fault]:
    quota = (
        Fault(status=429, error_type="insufficient_quota")
        if provider == "openai"
        else Fault(status=400, error_type="billing_error")
    )
    return {"401": Fault(status=401), "403": Fault(status=403), "404": Fault(status=404), "quota": quota}


REQUEST_FATAL = {
    "400": Fault(status=400),
    "413": Fault(status=413),
    "422": Fault(status=422),
    "context-length": Fault(status=400, error_type="context_length_exceeded"),
}
STREAM_ONLY = {"in-stream-error": Fault(stream_error_after=0), "cut-stream": Fault(cut_after=0)}


def _cases() -> list[Any]:
    cases = []
    for direction in DIRECTIONS:
        primary = direction.split("->")[0]
        table = [
            *(("transient", k, f) for k, f in _transient(primary).items()),
            *(("provider_fatal", k, f) for k, f in _provider_fatal(primary).items()),
            *(("request_fatal", k, f) for k, f in REQUEST_FATAL.items()),
        ]
        for mode in MODES:
            for error_class, name, fault in table:
                cases.append(pytest.param(direction, mode, error_class, fault,
                                          id=f"{direction}-{mode}-{name}"))
        for mode in ("stream", "astream"):
            for name, fault in STREAM_ONLY.items():
                cases.append(pytest.param(direction, mode, "transient", fault,
                                          id=f"{direction}-{mode}-{name}"))
    return cases


@pytest.mark.parametrize(("direction", "mode", "error_class", "fault"), _cases())
def test_a_failing_primary_fails_over_within_the_call(
    make_pair: Callable[..., Pair], direction: str, mode: str, error_class: str, fault: Fault
) -> None:
    # A short attempt timeout only where the fault is a hang: elsewhere a loaded CI
    # machine must not turn a slow-but-healthy secondary into a timeout.
    timeout = 0.5 if fault.hang else 5.0
    pair = make_pair(direction, AI_REQUEST_TIMEOUT=timeout, AI_REQUEST_DEADLINE=10)
    pair.primary.faults.set_default(fault)

    answer = call(pair, mode)

    assert answer.content and pair.secondary_name in str(answer.content)
    meta = hybrid(answer)
    assert meta["provider"] == pair.secondary_name
    assert meta["failover"] is True
    first, last = meta["attempts"][0], meta["attempts"][-1]
    assert (first["provider"], first["outcome"]) == (pair.primary_name, error_class)
    assert (last["provider"], last["outcome"]) == (pair.secondary_name, "ok")
    # Failover is immediate: the primary is not retried while the secondary can answer.
    assert pair.primary.request_count == 1
    assert pair.secondary.request_count == 1


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("mode", MODES)
def test_healthy_primary_answers_alone(make_pair: Callable[..., Pair], direction: str, mode: str) -> None:
    pair = make_pair(direction)
    answer = call(pair, mode)
    assert str(answer.content).startswith(f"[{pair.primary_name}:"), hybrid(answer)["attempts"]
    assert hybrid(answer)["failover"] is False
    assert answer.usage_metadata and answer.usage_metadata["output_tokens"] > 0
    assert pair.secondary.request_count == 0


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("mode", MODES)
def test_transient_failure_is_retried_when_no_other_provider_can_take_it(
    make_pair: Callable[..., Pair], direction: str, mode: str
) -> None:
    pair = make_pair(direction, fallback=False)
    pair.primary.faults.push(Fault(status=503, times=1))
    answer = call(pair, mode)
    assert hybrid(answer)["provider"] == pair.primary_name
    assert [a["outcome"] for a in hybrid(answer)["attempts"]] == ["transient", "ok"]
    assert pair.primary.request_count == 2
    assert pair.secondary.request_count == 0


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_provider_fatal_failure_is_never_retried(make_pair: Callable[..., Pair], direction: str) -> None:
    pair = make_pair(direction, fallback=False, AI_MAX_RETRIES=3)
    pair.primary.faults.set_default(Fault(status=401))
    with pytest.raises(ProviderError) as caught:
        pair.model.invoke("hello")
    assert pair.primary.request_count == 1
    assert [a.outcome for a in caught.value.attempts] == ["provider_fatal"]


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_request_refused_by_both_gets_one_try_each_and_no_retries(
    make_pair: Callable[..., Pair], direction: str
) -> None:
    pair = make_pair(direction, AI_MAX_RETRIES=3)
    pair.primary.faults.set_default(Fault(status=400, error_type="context_length_exceeded"))
    pair.secondary.faults.set_default(Fault(status=400))
    with pytest.raises(ProviderError) as caught:
        pair.model.invoke("hello")
    assert (pair.primary.request_count, pair.secondary.request_count) == (1, 1)
    assert [a.outcome for a in caught.value.attempts] == ["request_fatal", "request_fatal"]


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_both_down_retries_round_robin_then_reports_every_attempt(
    make_pair: Callable[..., Pair], direction: str
) -> None:
    pair = make_pair(direction, AI_MAX_RETRIES=2)
    pair.primary.faults.set_default(Fault(status=500))
    pair.secondary.faults.set_default(Fault(status=529 if pair.secondary_name == "anthropic" else 503))
    with pytest.raises(ProviderError) as caught:
        asyncio.run(pair.model.ainvoke("hello"))
    error = caught.value
    assert (pair.primary.request_count, pair.secondary.request_count) == (3, 3)
    assert [a.provider for a in error.attempts] == [pair.primary_name, pair.secondary_name] * 3
    assert pair.primary_name in str(error) and pair.secondary_name in str(error)
    assert len(error.exceptions) == 6  # every failure kept in the group


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_stream_failing_after_content_ends_with_a_typed_error_not_a_partial_answer(
    make_pair: Callable[..., Pair], direction: str, mode: str
) -> None:
    """With continuation off (`AI_STREAM_RESUME=off`); tests/providers/test_rescue.py has it on."""
    for fault in (Fault(cut_after=3), Fault(stream_error_after=3)):
        pair = make_pair(direction, AI_STREAM_RESUME="off")
        pair.primary.faults.push(fault)
        received: list[str] = []

        async def consume(pair: Pair = pair, received: list[str] = received) -> None:
            async for chunk in pair.model.astream("long answer tokens=12"):
                received.append(str(chunk.content))

        with pytest.raises(StreamInterruptedError) as caught:
            if mode == "stream":
                for chunk in pair.model.stream("long answer tokens=12"):
                    received.append(str(chunk.content))
            else:
                asyncio.run(consume())
        assert "".join(received).startswith(f"[{pair.primary_name}:")
        assert caught.value.attempts[-1].provider == pair.primary_name
        assert pair.secondary.request_count == 0  # no splice of a second answer
        pair.primary.reset()
        pair.secondary.reset()


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_fallback_false_never_contacts_the_secondary(make_pair: Callable[..., Pair], direction: str) -> None:
    pair = make_pair(direction, fallback=False)
    pair.primary.faults.set_default(Fault(status=500))
    with pytest.raises(ProviderError):
        pair.model.invoke("hello")
    assert pair.primary.request_count == 3  # one try + AI_MAX_RETRIES
    assert pair.secondary.request_count == 0


def test_fallback_disabled_by_setting(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic", AI_FALLBACK_ENABLED=False)
    pair.primary.faults.set_default(Fault(status=503))
    with pytest.raises(ProviderError):
        asyncio.run(pair.model.ainvoke("hello"))
    assert pair.secondary.request_count == 0


@pytest.mark.parametrize("mode", MODES)
def test_whole_call_never_exceeds_the_deadline(make_pair: Callable[..., Pair], mode: str) -> None:
    import time

    pair = make_pair("openai->anthropic", AI_REQUEST_TIMEOUT=0.4, AI_REQUEST_DEADLINE=1.0)
    pair.primary.faults.set_default(Fault(hang=True))
    pair.secondary.faults.set_default(Fault(hang=True))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        call(pair, mode)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + 0.35
    assert "deadline" in str(caught.value)
    assert all(a.reason == "timeout" for a in caught.value.attempts)


def test_cancelled_call_stops_without_failover(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic", AI_REQUEST_TIMEOUT=5)
    pair.primary.faults.set_default(Fault(hang=True))

    async def scenario() -> None:
        task = asyncio.create_task(pair.model.ainvoke("hello"))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert pair.secondary.request_count == 0


def test_batch_fails_over_per_input(make_pair: Callable[..., Pair]) -> None:
    pair = make_pair("openai->anthropic")
    pair.primary.faults.push(Fault(status=500, times=1))
    answers = pair.model.batch(["one", "two", "three"], config={"max_concurrency": 1})
    providers = [hybrid(a)["provider"] for a in answers]
    assert providers == ["anthropic", "openai", "openai"]
    answers = asyncio.run(pair.model.abatch(["four", "five"]))
    assert all(isinstance(a, AIMessage) and hybrid(a)["provider"] == "openai" for a in answers)


def test_long_prompt_with_fallback_disabled_still_reaches_the_only_provider(
    make_pair: Callable[..., Pair],
) -> None:
    # gpt-4o holds 128k tokens; with the secondary switched off for this call there is
    # no larger window to prefer, so the context-window gate must not skip the primary.
    pair = make_pair("openai->anthropic", fallback=False)
    answer = pair.model.invoke("word " * 140_000)
    assert hybrid(answer)["provider"] == "openai"
    assert hybrid(answer)["skipped"] == []
