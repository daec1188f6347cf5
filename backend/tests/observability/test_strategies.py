"""Routing strategies: each one's ordering, and that failover still applies under them."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest
from langchain_core.messages import HumanMessage

from app.ai.providers import build_runtime
from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.registry import default_prices
from app.ai.providers.assembly import build_member
from app.ai.providers.factory import get_llm_provider
from app.ai.providers.policies.pricing import PriceTable
from app.ai.providers.policies.routing import CallContext, PriorityStrategy
from app.ai.providers.policies.strategies import (
    ABStrategy,
    CostStrategy,
    LatencyStrategy,
    LatencyTracker,
    WeightedStrategy,
    estimate_input_tokens,
)
from app.ai.providers.records import Attempt, CallRecord
from app.core.config import ConfigError, Settings, load_settings
from emulators import Fault, RunningEmulator


def _members(
    openai_model: str = "gpt-4o", anthropic_model: str = "claude-3-5-haiku-20241022"
) -> list[Member]:
    settings = load_settings(
        _env_file=None, OPENAI_API_KEY="sk-x", ANTHROPIC_API_KEY="sk-y",
        OPENAI_MODEL=openai_model, ANTHROPIC_MODEL=anthropic_model,
    )
    names = ("openai", "anthropic")
    return [build_member(name, settings) for name in names]


def _context(text: str = "hello", **metadata: object) -> CallContext:
    return CallContext([HumanMessage(text)], metadata)


def _names(members: list[Member]) -> list[str]:
    return [m.name for m in members]


def test_cost_puts_the_cheapest_provider_for_the_estimated_tokens_first() -> None:
    strategy = CostStrategy(PriceTable(default_prices()), output_tokens=400)
    # gpt-4o (2.50/10.00) vs claude-3-5-haiku (0.80/4.00): Anthropic is cheaper.
    assert _names(strategy.order(_members(), _context())) == ["anthropic", "openai"]
    # gpt-4o-mini (0.15/0.60) vs claude-3-5-sonnet (3/15): OpenAI is cheaper.
    members = _members("gpt-4o-mini", "claude-3-5-sonnet-20241022")
    assert _names(strategy.order(members, _context())) == ["openai", "anthropic"]
    costs = strategy.estimated_costs(members, _context("x" * 4000))
    assert costs["openai"] is not None and costs["anthropic"] is not None
    assert costs["openai"] < costs["anthropic"]


def test_cost_ranks_unpriced_models_last_and_keeps_order_on_ties() -> None:
    strategy = CostStrategy(PriceTable(default_prices()))
    assert _names(strategy.order(_members("my-private-model"), _context())) == ["anthropic", "openai"]
    gpt_4o = default_prices()["gpt-4o"]
    table = PriceTable({"gpt-4o": gpt_4o, "claude": gpt_4o})
    assert _names(CostStrategy(table).order(_members(), _context())) == ["openai", "anthropic"]


def test_input_tokens_are_estimated_from_text_and_content_blocks() -> None:
    blocks = HumanMessage(content=[{"type": "text", "text": "a" * 400}, "b" * 400])
    assert estimate_input_tokens(CallContext([blocks])) == 200
    assert estimate_input_tokens(_context("")) == 1


def test_latency_strategy_learns_the_faster_provider_with_a_decaying_average() -> None:
    tracker = LatencyTracker(decay=0.5)
    strategy = LatencyStrategy(tracker)
    members = _members()
    assert _names(strategy.order(members, _context())) == ["openai", "anthropic"]  # nothing known yet
    tracker.observe("openai", 400.0)
    # anthropic never measured: tried first once so it gets a sample
    assert _names(strategy.order(members, _context())) == ["anthropic", "openai"]
    ok = Attempt("anthropic", "claude", "ok", 100.0)
    tracker.on_call(CallRecord("ok", "anthropic", "claude", False, "latency", 100.0, (ok,)))
    assert _names(strategy.order(members, _context())) == ["anthropic", "openai"]
    for _ in range(4):  # anthropic slows down (streamed, time to first token), openai stays
        slow = CallRecord("ok", "anthropic", "c", False, "latency", 0, (), streamed=True, ttft_ms=900.0)
        tracker.on_call(slow)
    assert tracker.average_ms("anthropic") == pytest.approx(100 + (900 - 100) * (1 - 0.5**4))
    assert _names(strategy.order(members, _context())) == ["openai", "anthropic"]
    tracker.on_call(CallRecord("failed", None, None, False, "latency", 5.0, ()))
    assert tracker.snapshot()["anthropic"]["samples"] == 5


def test_weighted_distribution_follows_the_weights() -> None:
    strategy = WeightedStrategy({"openai": 3, "anthropic": 1}, rng=random.Random(7))
    members = _members()
    firsts = Counter(strategy.order(members, _context())[0].name for _ in range(4000))
    assert firsts["openai"] / 4000 == pytest.approx(0.75, abs=0.03)
    assert all(len(strategy.order(members, _context())) == 2 for _ in range(10))
    zero = WeightedStrategy({"openai": 0, "anthropic": 0}, rng=random.Random(1))
    assert _names(zero.order(members, _context())) == ["openai", "anthropic"]


def test_ab_split_is_sticky_per_user_and_matches_the_percentages() -> None:
    strategy = ABStrategy({"openai": 90, "anthropic": 10}, experiment="exp-1")
    members = _members()
    arms = {user: strategy.order(members, _context(user_id=user))[0].name for user in range(5000)}
    share = Counter(arms.values())["anthropic"] / len(arms)
    assert share == pytest.approx(0.10, abs=0.02)
    for user in range(0, 5000, 97):  # same user, same arm, every time
        assert strategy.order(members, _context(user_id=user))[0].name == arms[user]
    assert len(strategy.order(members, _context(user_id=1))) == 2  # the other arm is the failover
    even = ABStrategy({}, rng=random.Random(3))
    anonymous = Counter(even.order(members, _context())[0].name for _ in range(2000))
    assert anonymous["openai"] / 2000 == pytest.approx(0.5, abs=0.05)
    assert ABStrategy({"openai": 0, "anthropic": 0}).arm(members, "u") is members[0]
    assert ABStrategy({}).order([], _context()) == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [("priority", PriorityStrategy), ("cost", CostStrategy), ("latency", LatencyStrategy),
     ("weighted", WeightedStrategy), ("ab", ABStrategy)],
)
def test_ai_routing_strategy_picks_the_strategy(name: str, kind: type) -> None:
    settings = load_settings(_env_file=None, AI_ROUTING_STRATEGY=name)
    assert isinstance(build_runtime(settings).policy.strategy, kind)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"AI_ROUTING_STRATEGY": "fastest"}, "allowed values: priority, cost, latency, weighted, ab"),
        ({"AI_ROUTING_WEIGHTS": "openai=heavy"}, "AI_ROUTING_WEIGHTS"),
        ({"AI_AB_SPLIT": "openai=50,anthropic=20"}, "AI_AB_SPLIT"),
        ({"AI_LATENCY_DECAY": 0}, "AI_LATENCY_DECAY"),
        ({"AI_COST_OUTPUT_TOKENS": -1}, "AI_COST_OUTPUT_TOKENS"),
        ({"AI_BUDGET_OPENAI_DAILY_USD": -1}, "AI_BUDGET_OPENAI_DAILY_USD"),
        ({"AI_LEDGER_FLUSH_SECONDS": 0}, "AI_LEDGER_FLUSH_SECONDS"),
    ],
)
def test_invalid_routing_settings_fail_at_start_up_naming_the_setting(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(_env_file=None, **overrides)


def test_cost_strategy_serves_from_the_cheaper_provider_and_fails_over(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(
        AI_ROUTING_STRATEGY="cost", OPENAI_MODEL="gpt-4o", ANTHROPIC_MODEL="claude-3-5-haiku-20241022",
        AI_REQUEST_TIMEOUT=0.5,
    )
    model = get_llm_provider(settings=settings)
    meta = model.invoke("hello").response_metadata["hybrid"]
    assert (meta["strategy"], meta["arm"], meta["provider"], meta["failover"]) == (
        "cost", "anthropic", "anthropic", False)
    anthropic_emulator.faults.push(Fault(status=500, times=1))
    meta = model.invoke("hello").response_metadata["hybrid"]
    assert (meta["arm"], meta["provider"], meta["failover"]) == ("anthropic", "openai", True)


def test_ab_arm_is_reported_and_failover_applies(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(AI_ROUTING_STRATEGY="ab", AI_AB_SPLIT="openai=0,anthropic=100",
                                 AI_REQUEST_TIMEOUT=0.5)
    model = get_llm_provider(settings=settings)
    anthropic_emulator.faults.push(Fault(status=529, times=1))
    answer = model.invoke("hello", config={"metadata": {"user_id": "u-42"}})
    meta = answer.response_metadata["hybrid"]
    served = (meta["strategy"], meta["arm"], meta["provider"], meta["failover"])
    assert served == ("ab", "anthropic", "openai", True)
