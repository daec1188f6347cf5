"""Routing strategies beyond `priority`: cost, latency, weighted and A/B, and their table.

Each one only *orders* the providers of a call (`routing.RoutingStrategy`); health,
gates, retries, failover and the deadline stay in the call loop, so they apply
unchanged under every strategy. The provider a strategy puts first is the call's
"arm", reported in the answer's `hybrid` metadata and in the metrics, so providers
can be compared on quality signals, latency and cost.

`STRATEGIES` is the one table of strategies: `AI_ROUTING_STRATEGY`'s allowed values,
how each one is built (`assembly.py`) and what the status endpoint says about it all
come from it, so a new strategy is one class plus one entry here.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from app.ai.providers.adapters.base import Member
from app.ai.providers.policies.pricing import PriceTable
from app.ai.providers.policies.routing import CallContext, PriorityStrategy, RoutingStrategy
from app.ai.providers.records import CallRecord

#: Characters per token when estimating a prompt's size before the call (no tokenizer
#: round trip on the hot path; ranking only needs the right order of magnitude).
CHARS_PER_TOKEN = 4


def estimate_input_tokens(context: CallContext) -> int:
    """Rough token count of the prompt: characters / 4 of every text part."""
    chars = 0
    for message in context.messages:
        content = message.content
        if isinstance(content, str):
            chars += len(content)
        else:
            for part in content:
                if isinstance(part, str):
                    chars += len(part)
                elif isinstance(part, Mapping):
                    chars += len(str(part.get("text", "")))
    return max(1, chars // CHARS_PER_TOKEN)


class CostStrategy:
    """Cheapest provider first for this call's estimated input and output tokens.

    Unpriced models go last; ties keep the configured order, so with equal prices
    this is `priority`.
    """

    name = "cost"

    def __init__(self, prices: PriceTable, output_tokens: int = 400) -> None:
        self.prices = prices
        self.output_tokens = output_tokens

    def estimated_costs(self, members: Sequence[Member], context: CallContext) -> dict[str, Decimal | None]:
        tokens = estimate_input_tokens(context)
        return {m.name: self.prices.estimate(m.model_name, tokens, self.output_tokens) for m in members}

    def order(self, members: Sequence[Member], context: CallContext) -> list[Member]:
        costs = self.estimated_costs(members, context)
        ranked = sorted(
            enumerate(members),
            key=lambda item: (costs[item[1].name] is None, costs[item[1].name] or 0, item[0]),
        )
        return [member for _, member in ranked]


class LatencyTracker:
    """Decaying average of each provider's time to first token (or to the answer).

    Fed as a `CallObserver`: a streamed call contributes its time to first token, a
    plain call the latency of its winning attempt. Newer samples weigh `decay`.
    """

    def __init__(self, decay: float = 0.3) -> None:
        self.decay = decay
        self._averages: dict[str, float] = {}
        self._samples: dict[str, int] = {}
        self._lock = threading.Lock()

    def observe(self, provider: str, latency_ms: float) -> None:
        with self._lock:
            previous = self._averages.get(provider)
            self._averages[provider] = (
                latency_ms if previous is None else previous + self.decay * (latency_ms - previous)
            )
            self._samples[provider] = self._samples.get(provider, 0) + 1

    def on_call(self, record: CallRecord) -> None:
        if record.outcome != "ok" or record.provider is None:
            return
        if record.streamed and record.ttft_ms is not None:
            self.observe(record.provider, record.ttft_ms)
            return
        winning = next((a for a in reversed(record.attempts) if a.ok), None)
        if winning is not None:
            self.observe(record.provider, winning.latency_ms)

    def average_ms(self, provider: str) -> float | None:
        with self._lock:
            return self._averages.get(provider)

    def snapshot(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {
                name: {"ttft_ms": round(avg, 3), "samples": self._samples[name]}
                for name, avg in self._averages.items()
            }


class LatencyStrategy:
    """Lowest recent time to first token first; a provider never measured goes first
    once (optimism), so every provider gets sampled and a recovered one is noticed."""

    name = "latency"

    def __init__(self, tracker: LatencyTracker) -> None:
        self.tracker = tracker

    def order(self, members: Sequence[Member], context: CallContext) -> list[Member]:
        def key(item: tuple[int, Member]) -> tuple[float, int]:
            average = self.tracker.average_ms(item[1].name)
            return (-1.0 if average is None else average, item[0])

        return [member for _, member in sorted(enumerate(members), key=key)]


class WeightedStrategy:
    """Load balancing: the first provider drawn with probability proportional to its
    weight, the rest after it in weighted order (so failover still has somewhere to go)."""

    name = "weighted"

    def __init__(self, weights: Mapping[str, float], rng: random.Random | None = None) -> None:
        self.weights = dict(weights)
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def order(self, members: Sequence[Member], context: CallContext) -> list[Member]:
        remaining = list(members)
        ordered: list[Member] = []
        with self._lock:
            while remaining:
                weights = [self.weights.get(m.name, 1.0) for m in remaining]
                if sum(weights) <= 0:
                    ordered.extend(remaining)
                    break
                pick = self._rng.choices(range(len(remaining)), weights=weights)[0]
                ordered.append(remaining.pop(pick))
        return ordered


class ABStrategy:
    """A fixed percentage of users to each provider, sticky per `user_id`.

    The arm is a hash of (experiment, user id) into [0, 100), so a user keeps the
    same provider across calls, workers and restarts. Calls without a user id are
    assigned at random. The other providers follow the arm as failover.
    """

    name = "ab"

    def __init__(self, split: Mapping[str, float], experiment: str = "default",
                 rng: random.Random | None = None) -> None:
        self.split = dict(split)
        self.experiment = experiment
        self._rng = rng or random.Random()

    def bucket(self, user_id: object | None) -> float:
        """The user's position in [0, 100): stable for a user id, random without one."""
        if user_id is None:
            return self._rng.random() * 100.0
        digest = hashlib.sha256(f"{self.experiment}:{user_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 * 100.0

    def arm(self, members: Sequence[Member], user_id: object | None) -> Member | None:
        if not members:
            return None
        split = self.split or {m.name: 100.0 / len(members) for m in members}
        shares = [(m, split.get(m.name, 0.0)) for m in members]
        total = sum(share for _, share in shares)
        if total <= 0:
            return members[0]
        position = self.bucket(user_id) * total / 100.0
        for member, share in shares:
            position -= share
            if position < 0:
                return member
        return shares[-1][0]

    def order(self, members: Sequence[Member], context: CallContext) -> list[Member]:
        chosen = self.arm(members, context.metadata.get("user_id"))
        return [chosen, *[m for m in members if m is not chosen]] if chosen else []


@dataclass(frozen=True, slots=True)
class RoutingOptions:
    """What the `AI_ROUTING_*` / `AI_AB_*` / `AI_COST_*` / `AI_LATENCY_*` settings say."""

    name: str = "priority"
    weights: Mapping[str, float] = field(default_factory=dict)
    ab_split: Mapping[str, float] = field(default_factory=dict)
    ab_experiment: str = "default"
    cost_output_tokens: int = 400
    latency_decay: float = 0.3


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """One routing strategy: how to build it, and what the status endpoint shows of it."""

    build: Callable[[RoutingOptions, PriceTable, LatencyTracker], RoutingStrategy]
    describe: Callable[[RoutingOptions], dict[str, Any]] = lambda options: {}


STRATEGIES: Mapping[str, StrategySpec] = MappingProxyType({
    "priority": StrategySpec(lambda options, prices, latency: PriorityStrategy()),
    "cost": StrategySpec(
        lambda options, prices, latency: CostStrategy(prices, options.cost_output_tokens),
        lambda options: {"assumed_output_tokens": options.cost_output_tokens},
    ),
    "latency": StrategySpec(lambda options, prices, latency: LatencyStrategy(latency)),
    "weighted": StrategySpec(
        lambda options, prices, latency: WeightedStrategy(options.weights),
        lambda options: {"weights": dict(options.weights)},
    ),
    "ab": StrategySpec(
        lambda options, prices, latency: ABStrategy(options.ab_split, options.ab_experiment),
        lambda options: {"split": dict(options.ab_split) or "even", "experiment": options.ab_experiment},
    ),
})


def make_strategy(options: RoutingOptions, prices: PriceTable, latency: LatencyTracker) -> RoutingStrategy:
    """The strategy `options.name` names (a `KeyError` names an unknown one)."""
    return STRATEGIES[options.name].build(options, prices, latency)


def describe_strategy(options: RoutingOptions) -> dict[str, Any]:
    """`{"name": ..., **details}` for the status endpoint."""
    return {"name": options.name, **STRATEGIES[options.name].describe(options)}
