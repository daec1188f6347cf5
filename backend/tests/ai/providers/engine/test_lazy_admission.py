"""Circuits are asked just before a provider is tried, so no call spends a half-open
probe slot on a provider it never reaches."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.outputs import ChatResult

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine import engine
from app.ai.providers.engine.call import CallState
from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.policies.circuit import CircuitBreaker
from app.ai.providers.policies.hedge import HedgePolicy
from app.ai.providers.policies.state_store import CircuitPolicy, MemoryStore, Outcome
from app.ai.providers.records import Attempt
from tests.support.engine import answer, members


class CountingHealth:
    """Provider health that records which providers it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def skip_reason(self, provider: str) -> str | None:
        self.asked.append(provider)
        return None

    def record(self, attempt: Attempt) -> None:
        pass


async def _ok(member: Member, kwargs: dict[str, Any]) -> ChatResult:
    return answer(member.name)


async def test_only_the_providers_a_call_reaches_are_admitted() -> None:
    health = CountingHealth()
    call = CallState(CallPolicy(health=health), members("a", "b", "c"), [HumanMessage("hi")])
    await engine.agenerate(call, _ok)
    assert health.asked == ["a"]


async def test_a_half_open_probe_slot_is_kept_for_a_call_that_reaches_the_provider() -> None:
    store = MemoryStore()
    policy = CircuitPolicy(half_open_probes=1, probe_ttl_seconds=60)
    for name in ("a", "b"):  # both tripped, cooldown over: half-open, one probe each
        store.record(name, Outcome(ok=False, trip_now=True, cooldown=0.0, reason="overloaded"), policy)
    breaker = CircuitBreaker(store, policy=policy)

    first = CallState(CallPolicy(health=breaker), members("a", "b"), [HumanMessage("hi")])
    served = (await engine.agenerate(first, _ok)).llm_output["hybrid"]  # type: ignore[index]
    assert served["provider"] == "a"  # a's probe succeeded and closed its circuit
    # b was never reached, so its probe slot is still free for the call that needs it
    # (spent by the first call, b would read "probe in flight" and c would serve):
    second = CallState(CallPolicy(health=breaker), members("b", "c"), [HumanMessage("hi")])
    meta = (await engine.agenerate(second, _ok)).llm_output["hybrid"]  # type: ignore[index]
    assert (meta["provider"], meta["skipped"]) == ("b", [])
    assert store.view("b", policy).state == "closed"


def _half_open(*names: str) -> tuple[MemoryStore, CircuitPolicy, CircuitBreaker]:
    store = MemoryStore()
    policy = CircuitPolicy(half_open_probes=1, probe_ttl_seconds=60)
    for name in names:  # tripped, cooldown over: half-open, one probe each
        store.record(name, Outcome(ok=False, trip_now=True, cooldown=0.0, reason="overloaded"), policy)
    return store, policy, CircuitBreaker(store, policy=policy)


async def test_a_probe_that_loses_its_hedge_race_frees_its_slot_for_the_next_call() -> None:
    """The probe said nothing of the provider's health: the next call probes again at
    once (it used to read "probe in flight" for the probe TTL, 60 s here)."""
    store, policy, breaker = _half_open("a")
    hedged = CallPolicy(health=breaker, hedge=HedgePolicy(mode="fixed", after_ms=20))

    async def a_slow(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        if member.name == "a":
            await asyncio.sleep(1.0)
        return answer(member.name)

    first = CallState(hedged, members("a", "b"), [HumanMessage("hi")])
    meta = (await engine.agenerate(first, a_slow)).llm_output["hybrid"]  # type: ignore[index]
    assert meta["provider"] == "b"
    assert [(a["provider"], a["outcome"]) for a in meta["attempts"]] == [("a", "cancelled"), ("b", "ok")]

    second = CallState(CallPolicy(health=breaker), members("a", "b"), [HumanMessage("hi")])
    meta = (await engine.agenerate(second, _ok)).llm_output["hybrid"]  # type: ignore[index]
    assert (meta["provider"], meta["skipped"]) == ("a", [])
    assert store.view("a", policy).state == "closed"


async def test_a_probe_whose_call_is_cancelled_frees_its_slot() -> None:
    """A caller that goes away mid-probe (client disconnect) does not hold the circuit."""
    store, policy, breaker = _half_open("a")
    started = asyncio.Event()

    async def a_hangs(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        started.set()
        await asyncio.sleep(10)
        return answer(member.name)

    call = CallState(CallPolicy(health=breaker), members("a", "b"), [HumanMessage("hi")])
    task = asyncio.ensure_future(engine.agenerate(call, a_hangs))
    await started.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    second = CallState(CallPolicy(health=breaker), members("a", "b"), [HumanMessage("hi")])
    meta = (await engine.agenerate(second, _ok)).llm_output["hybrid"]  # type: ignore[index]
    assert (meta["provider"], meta["skipped"]) == ("a", [])
    assert store.view("a", policy).state == "closed"


async def test_a_hedge_target_probing_its_circuit_frees_the_slot_when_the_first_wins() -> None:
    """The hedge went to a half-open provider and lost: its probe slot goes back."""
    store, policy, breaker = _half_open("b")
    hedged = CallPolicy(health=breaker, hedge=HedgePolicy(mode="fixed", after_ms=20))

    async def b_slower(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        await asyncio.sleep(0.1 if member.name == "a" else 1.0)
        return answer(member.name)

    call = CallState(hedged, members("a", "b"), [HumanMessage("hi")])
    meta = (await engine.agenerate(call, b_slower)).llm_output["hybrid"]  # type: ignore[index]
    assert [(a["provider"], a["outcome"]) for a in meta["attempts"]] == [("b", "cancelled"), ("a", "ok")]

    second = CallState(CallPolicy(health=breaker), members("b", "a"), [HumanMessage("hi")])
    meta = (await engine.agenerate(second, _ok)).llm_output["hybrid"]  # type: ignore[index]
    assert (meta["provider"], meta["skipped"]) == ("b", [])
    assert store.view("b", policy).state == "closed"
