"""Replay a day of AI traffic through `priority` and `cost` routing, then with prompt
caching and the response cache; compare spend at equal availability.

    cd backend && .venv/bin/python benchmarks/simulate_costs.py [--calls 20000] [--seed 7]

Part 1 (routing only) uses the size distribution below with no repetition. Part 2
replays feature traffic with realistic repetition and stable prompt prefixes
(`benchmarks/cost_traffic.py` states it) through: priority, cost routing, + provider
prompt caching (OpenAI automatic, Anthropic breakpoints), + the response cache keyed
the old way (data version of every table read: any write invalidates every entry),
+ the response cache keyed by the model's input (a write invalidates only the entries
whose shortlist or passages it changes; shares in `cost_traffic.py`).

Traffic (stated, seeded): calls spread over 24 h; prompt tokens log-normal (median 900,
sigma 0.9, clipped 20..30k: short chats to long resume+job prompts), answer tokens
log-normal (median 250, sigma 0.7, clipped 5..4k). Failure episodes: OpenAI fully down
10:00-10:30 (503s), Anthropic overloaded 15:00-15:20 (half of calls 529), and 1% random
transient errors on each provider all day. Each call tries providers in the order the
strategy gives (the real `PriorityStrategy` / `CostStrategy` objects with the real list
price table); a failed attempt costs nothing and moves to the next provider, as in the
call loop. Availability = share of calls some provider answered.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.registry import default_prices
from app.ai.providers.assembly import build_member
from app.ai.providers.factory import provider_order
from app.ai.providers.policies.pricing import PriceTable
from app.ai.providers.policies.routing import CallContext, PriorityStrategy, RoutingStrategy
from app.ai.providers.policies.strategies import CostStrategy
from app.core.config import load_settings
from benchmarks.cost_traffic import Keying, PromptCacheSim, ResponseCacheSim
from benchmarks.cost_traffic import make_traffic as make_feature_traffic

SCENARIOS = {
    # name: (primary, OPENAI_MODEL, ANTHROPIC_MODEL)
    "gpt-4o primary, claude-3-5-haiku fallback": ("openai", "gpt-4o", "claude-3-5-haiku-20241022"),
    "claude-3-5-sonnet primary, gpt-4o-mini fallback": (
        "anthropic", "gpt-4o-mini", "claude-3-5-sonnet-20241022"),
    "gpt-4.1 primary, claude-haiku-4-5 fallback": ("openai", "gpt-4.1", "claude-haiku-4-5"),
    "gpt-4o primary, claude-3-5-sonnet fallback (brief default)": (
        "openai", "gpt-4o", "claude-3-5-sonnet-20241022"),
}


@dataclass(frozen=True)
class Call:
    second: float
    input_tokens: int
    output_tokens: int
    rolls: tuple[float, float]  # per-provider failure dice, shared by both strategies


def make_traffic(calls: int, seed: int) -> list[Call]:
    rng = random.Random(seed)
    traffic = []
    for _ in range(calls):
        tokens_in = int(min(max(rng.lognormvariate(math.log(900), 0.9), 20), 30_000))
        tokens_out = int(min(max(rng.lognormvariate(math.log(250), 0.7), 5), 4_000))
        traffic.append(Call(rng.uniform(0, 86_400), tokens_in, tokens_out, (rng.random(), rng.random())))
    return sorted(traffic, key=lambda c: c.second)


def failure_probability(provider: str, second: float) -> float:
    hour = second / 3600
    if provider == "openai" and 10.0 <= hour < 10.5:
        return 1.0
    if provider == "anthropic" and 15.0 <= hour < 15 + 20 / 60:
        return 0.5
    return 0.01


def replay(strategy: RoutingStrategy, members: list[Member], traffic: list[Call],
           prices: PriceTable, fallback: bool = True) -> tuple[Decimal, int, int]:
    """(cost USD, answered calls, failovers)."""
    cost, answered, failovers = Decimal(0), 0, 0
    for call in traffic:
        # The prompt text only sizes the estimate: 4 characters per token, as the strategy assumes.
        context = CallContext([HumanMessage("x" * (call.input_tokens * 4))])
        order = strategy.order(members, context)
        for index, member in enumerate(order if fallback else order[:1]):
            roll = call.rolls[0 if member.name == "openai" else 1]
            if roll < failure_probability(member.name, call.second):
                continue
            usage = {"input_tokens": call.input_tokens, "output_tokens": call.output_tokens}
            cost += prices.cost_of(member.model_name, usage) or Decimal(0)
            answered += 1
            failovers += index > 0
            break
    return cost, answered, failovers


def replay_features(strategy: RoutingStrategy, members: list[Member], traffic: list[Any],
                    prices: PriceTable, prompt_cache: bool, response_cache: bool,
                    ttl: float = 3600.0, keying: Keying = "input") -> dict[str, Any]:
    """Feature traffic: cost, answered calls, failovers, response-cache hits, cached input share."""
    provider_cache, answers = PromptCacheSim(), ResponseCacheSim(ttl, keying)
    cost, answered, failovers, hits, cached_tokens, input_tokens = Decimal(0), 0, 0, 0, 0, 0
    for call in traffic:
        if response_cache and answers.hit(call, ()):
            answered += 1
            hits += 1
            continue
        context = CallContext([HumanMessage("x" * (call.input_tokens * 4))])
        for index, member in enumerate(strategy.order(members, context)):
            roll = call.rolls[0 if member.name == "openai" else 1]
            if roll < failure_probability(member.name, call.second):
                continue
            usage: dict[str, Any] = (
                provider_cache.usage(member.name, member.model_name, call) if prompt_cache
                else {"input_tokens": call.input_tokens, "output_tokens": call.feature.output}
            )
            cost += prices.cost_of(member.model_name, usage) or Decimal(0)
            input_tokens += call.input_tokens
            cached_tokens += int((usage.get("input_token_details") or {}).get("cache_read", 0))
            answered += 1
            failovers += index > 0
            if response_cache:
                answers.store(call, ())
            break
    return {"cost": cost, "answered": answered, "failovers": failovers, "hits": hits,
            "cached_share": cached_tokens / input_tokens if input_tokens else 0.0}


def repeat_share(traffic: list[Any], ttl: float = 3600.0, keying: Keying = "input") -> float:
    """Share of cacheable-feature calls that repeat one made within `ttl` seconds with the
    same key (`keying`: table versions or model input)."""
    seen: dict[tuple[object, ...], float] = {}
    repeats = eligible = 0
    for call in traffic:
        if not call.feature.cacheable:
            continue
        eligible += 1
        key = call.response_key(keying)
        last = seen.get(key)
        repeats += last is not None and call.second - last <= ttl
        seen[key] = call.second
    return repeats / eligible if eligible else 0.0


REALISTIC_SCENARIOS = {
    "gpt-4o primary, claude-3-5-sonnet fallback (brief default)": SCENARIOS[
        "gpt-4o primary, claude-3-5-sonnet fallback (brief default)"],
    "gpt-4o primary, claude-3-5-haiku fallback (cross-tier)": SCENARIOS[
        "gpt-4o primary, claude-3-5-haiku fallback"],
    "claude-3-5-sonnet primary, gpt-4o-mini fallback (cross-tier)": SCENARIOS[
        "claude-3-5-sonnet primary, gpt-4o-mini fallback"],
}


def run_realistic(calls: int, seed: int, repetition: str, ttl: float,
                  invalidated: dict[str, float] | None = None) -> None:
    traffic = make_feature_traffic(calls, seed, repetition, invalidated)
    prices = PriceTable(default_prices())
    before, after = repeat_share(traffic, ttl, "tables"), repeat_share(traffic, ttl, "input")
    print(f"\nPart 2: {calls} feature calls, {repetition} repetition (benchmarks/cost_traffic.py): "
          f"of cacheable calls, {before:.1%} (table-version key) / {after:.1%} (model-input key) "
          f"repeat one made within the response-cache TTL ({ttl:g} s) with the same key")
    header = (f"{'scenario':<62} {'levers':<40} {'cost USD':>9} {'vs priority':>11} "
              f"{'availability':>12} {'cache hits':>10} {'cached input':>12}")
    print(header)
    print("-" * len(header))
    for name, (primary, openai_model, anthropic_model) in REALISTIC_SCENARIOS.items():
        members, settings = _members(primary, openai_model, anthropic_model)
        cost_strategy = CostStrategy(prices, settings.AI_COST_OUTPUT_TOKENS)
        rows: list[tuple[str, RoutingStrategy, bool, bool, Keying]] = [
            ("priority", PriorityStrategy(), False, False, "input"),
            ("cost routing", cost_strategy, False, False, "input"),
            ("cost routing + prompt caching", cost_strategy, True, False, "input"),
            ("... + response cache, table-version key", cost_strategy, True, True, "tables"),
            ("... + response cache, model-input key", cost_strategy, True, True, "input"),
        ]
        baseline: Decimal | None = None
        for label, strategy, prompt_cache, response_cache, keying in rows:
            result = replay_features(strategy, members, traffic, prices, prompt_cache, response_cache,
                                     ttl, keying)
            baseline = baseline if baseline is not None else result["cost"]
            saving = (1 - result["cost"] / baseline) * 100 if baseline else Decimal(0)
            print(f"{name:<62} {label:<40} {result['cost']:>9.2f} {-saving:>+10.1f}% "
                  f"{result['answered'] / calls:>11.3%} {result['hits']:>10} {result['cached_share']:>11.1%}")
        print()


def _members(primary: str, openai_model: str, anthropic_model: str) -> tuple[list[Member], Any]:
    settings = load_settings(
        _env_file=None, AI_PROVIDER=primary,
        AI_FALLBACK_PROVIDER="anthropic" if primary == "openai" else "openai",
        OPENAI_API_KEY="sk-sim", ANTHROPIC_API_KEY="sk-sim",
        OPENAI_MODEL=openai_model, ANTHROPIC_MODEL=anthropic_model,
    )
    names = provider_order(settings)
    return [build_member(p, settings) for p in names], settings


def run(calls: int, seed: int) -> None:
    traffic = make_traffic(calls, seed)
    prices = PriceTable(default_prices())
    print(f"Part 1: {calls} calls over 24 h, seed {seed}; list prices from app/ai/providers/pricing.py")
    print("'vs priority' compares with all traffic on the primary, failing over (equal availability)\n")
    header = (f"{'scenario':<58} {'strategy':<24} {'cost USD':>9} {'vs priority':>11} "
              f"{'availability':>12} {'failovers':>9}")
    print(header)
    print("-" * len(header))
    for name, (primary, openai_model, anthropic_model) in SCENARIOS.items():
        members, settings = _members(primary, openai_model, anthropic_model)
        rows = [
            ("priority", PriorityStrategy(), True),
            ("cost", CostStrategy(prices, settings.AI_COST_OUTPUT_TOKENS), True),
            ("primary only, no failover", PriorityStrategy(), False),
        ]
        baseline: Decimal | None = None
        for label, strategy, fallback in rows:
            cost, answered, failovers = replay(strategy, members, traffic, prices, fallback)
            baseline = baseline if baseline is not None else cost
            saving = (1 - cost / baseline) * 100 if baseline else Decimal(0)
            print(f"{name:<58} {label:<24} {cost:>9.2f} {-saving:>+10.1f}% "
                  f"{answered / calls:>11.3%} {failovers:>9}")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repetition", choices=("moderate", "high"), default="moderate",
                        help="subject popularity preset of part 2 (see benchmarks/cost_traffic.py)")
    parser.add_argument("--ttl", type=float, default=3600.0, help="response-cache TTL, seconds (part 2)")
    parser.add_argument("--part", choices=("1", "2", "both"), default="both")
    parser.add_argument("--invalidated", action="append", default=[], metavar="FEATURE=SHARE",
                        help="override the share of a feature's entries one write invalidates (part 2)")
    args = parser.parse_args()
    invalidated = {name: float(share) for name, share in (item.split("=", 1) for item in args.invalidated)}
    if args.part in ("1", "both"):
        run(args.calls, args.seed)
    if args.part in ("2", "both"):
        run_realistic(args.calls, args.seed, args.repetition, args.ttl, invalidated)


if __name__ == "__main__":
    main()
