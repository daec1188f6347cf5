"""The engine alone: plan -> attempt -> classify -> record -> next, driven by plain callables
(messages and params in, result or stream out), without LangChain's callback machinery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine import engine
from app.ai.providers.engine.call import CallState
from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.errors import ProviderError, StreamInterruptedError
from app.ai.providers.policies.health import HealthStats
from app.ai.providers.policies.hedge import HedgePolicy
from tests.support.engine import answer, chunk, members

PROMPT = [HumanMessage("hello")]


def _call(policy: CallPolicy, *names: str) -> CallState:
    return CallState(policy, members(*names), PROMPT)


def _meta(result: ChatResult) -> dict[str, Any]:
    meta: dict[str, Any] = result.llm_output["hybrid"]  # type: ignore[index]
    return meta


class Overloaded(Exception):
    status_code = 529


async def test_a_failure_moves_the_call_to_the_next_provider_at_once() -> None:
    health = HealthStats()
    calls: list[tuple[str, float]] = []

    async def send(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        calls.append((member.name, kwargs["timeout"]))
        if member.name == "a":
            raise Overloaded("busy")
        return answer("from b")

    result = await engine.agenerate(_call(CallPolicy(timeout=3, deadline=9, health=health), "a", "b"), send)
    meta = _meta(result)
    assert result.generations[0].message.content == "from b"
    assert [(a["provider"], a["outcome"]) for a in meta["attempts"]] == [("a", "transient"), ("b", "ok")]
    assert meta["failover"] is True and [name for name, _ in calls] == ["a", "b"]
    assert all(0 < timeout <= 3 for _, timeout in calls)  # each attempt gets its own limit
    assert (health.snapshot()["a"].failures, health.snapshot()["b"].successes) == (1, 1)


@pytest.mark.parametrize(("timeout", "deadline"), [(0.05, 10.0), (10.0, 0.05)])
async def test_each_attempt_is_bounded_by_its_limit_or_what_is_left_of_the_deadline(
    timeout: float, deadline: float
) -> None:
    async def send(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        await asyncio.sleep(5)
        return answer("late")

    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await engine.agenerate(_call(CallPolicy(timeout=timeout, deadline=deadline, max_retries=0), "a"), send)
    assert time.monotonic() - started < 1.0
    assert [a.reason for a in caught.value.attempts] == ["timeout"]


async def test_the_same_bound_holds_for_a_stream() -> None:
    async def open_stream(member: Member, kwargs: dict[str, Any]) -> AsyncIterator[ChatGenerationChunk]:
        if member.name == "a":
            await asyncio.sleep(5)  # never starts
        yield chunk("hi ", last=False)
        yield chunk("there", last=True)

    started = time.monotonic()
    out = [c async for c in engine.astream(_call(CallPolicy(timeout=0.05, deadline=10), "a", "b"), open_stream)]
    assert time.monotonic() - started < 1.0
    assert "".join(str(c.message.content) for c in out) == "hi there"
    meta = out[-1].message.response_metadata["hybrid"]
    assert [(a["provider"], a["outcome"], a.get("reason")) for a in meta["attempts"]] == [
        ("a", "transient", "timeout"), ("b", "ok", None)]


async def test_a_stream_cut_after_content_ends_with_the_interrupted_error_not_a_splice() -> None:
    async def open_stream(member: Member, kwargs: dict[str, Any]) -> AsyncIterator[ChatGenerationChunk]:
        yield chunk("half an ans")
        raise ConnectionResetError("peer went away")

    seen: list[str] = []
    with pytest.raises(StreamInterruptedError) as caught:
        async for piece in engine.astream(_call(CallPolicy(), "a", "b"), open_stream):
            seen.append(str(piece.message.content))
    assert seen == ["half an ans"]  # b was never spliced on
    assert [a.provider for a in caught.value.attempts] == ["a"]


def test_the_sync_driver_applies_the_same_rules() -> None:
    def send(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        if member.name == "a":
            raise Overloaded("busy")
        return answer("from b")

    def open_stream(member: Member, kwargs: dict[str, Any]) -> Iterator[ChatGenerationChunk]:
        yield chunk("cut")  # no finish marker: an incomplete stream is a failure, not an answer
        if member.name == "b":
            yield chunk("!", last=True)

    assert _meta(engine.generate(_call(CallPolicy(), "a", "b"), send))["provider"] == "b"
    with pytest.raises(StreamInterruptedError):  # content reached the caller before the cut
        list(engine.stream(_call(CallPolicy(), "a", "b"), open_stream))


async def test_cancellation_stops_the_call_and_is_not_ill_health() -> None:
    health = HealthStats()

    async def send(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        await asyncio.sleep(5)
        return answer("never")

    task = asyncio.ensure_future(engine.agenerate(_call(CallPolicy(health=health), "a", "b"), send))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert health.snapshot() == {}


async def test_hedging_is_a_property_of_the_plan() -> None:
    async def send(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        await asyncio.sleep(2.0 if member.name == "a" else 0.01)
        return answer(f"from {member.name}")

    started = time.monotonic()
    policy = CallPolicy(hedge=HedgePolicy("fixed", after_ms=30))
    meta = _meta(await engine.agenerate(_call(policy, "a", "b"), send))
    assert time.monotonic() - started < 1.0
    assert meta["provider"] == "b"
    attempts = {a["provider"]: (a["outcome"], a.get("reason")) for a in meta["attempts"]}
    assert attempts == {"a": ("cancelled", "hedge_lost"), "b": ("ok", None)}
