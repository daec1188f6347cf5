"""`AIRuntime`: everything of the provider layer that has state, built once per application.

The runtime owns the chat models and what their calls learn and spend: provider health
and circuit breakers, the latency tracker, the hedge policy's samples, budgets, the
price table, the memo of structured-output bindings, and the observers (metrics and
the usage ledger are added by the application). Status endpoints and metrics read
the runtime that serves the calls, so two differently configured applications in one
process never see each other's state. `assembly.build_runtime` builds one from
settings; nothing in `app.ai.providers` keeps state at module level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.engine.structured import StructuredOutputs
from app.ai.providers.policies.budget import BudgetTracker
from app.ai.providers.policies.circuit import CircuitBreaker
from app.ai.providers.policies.health import HealthStats
from app.ai.providers.policies.state_store import CLOSED
from app.ai.providers.policies.strategies import LatencyTracker, RoutingOptions, describe_strategy
from app.ai.providers.records import CallObserver, CallRecord


class AIRuntime:
    """The provider layer of one application (see the module docstring)."""

    def __init__(
        self,
        *,
        policy: CallPolicy,
        members: Sequence[Member],
        primary_members: Sequence[Member],
        missing_settings: Sequence[str] = (),
        primary_missing_settings: Sequence[str] = (),
        fallback_enabled: bool = True,
        stats: HealthStats | None = None,
        breaker: CircuitBreaker | None = None,
        latency: LatencyTracker | None = None,
        budgets: BudgetTracker | None = None,
        routing: RoutingOptions | None = None,
        temperature: float | None = None,
    ) -> None:
        self.policy = policy
        self.fallback_enabled = fallback_enabled
        self.stats = stats or HealthStats()
        self.breaker = breaker
        self.latency = latency or LatencyTracker()
        self.budgets = budgets or BudgetTracker({})
        self.routing = routing or RoutingOptions()
        self.structured_outputs = StructuredOutputs()
        self._models = {
            True: self._model(policy, members, missing_settings, temperature),
            False: self._model(policy, primary_members, primary_missing_settings, temperature),
        }

    @staticmethod
    def _model(
        policy: CallPolicy, members: Sequence[Member], missing: Sequence[str], temperature: float | None
    ) -> HybridChatModel:
        policy = replace(policy, missing_settings=tuple(missing) if not members else ())
        return HybridChatModel(members=list(members), policy=policy, temperature=temperature)

    def model(self, fallback: bool | None = None) -> HybridChatModel:
        """The chat model every AI feature uses; `fallback=False`: the primary alone."""
        return self._models[self.fallback_enabled if fallback is None else fallback]

    # -- observers ------------------------------------------------------------

    def add_observer(self, observer: CallObserver) -> None:
        """Deliver every call of this runtime's models to `observer` too."""
        self.policy.observers.add(observer)

    def remove_observer(self, observer: CallObserver) -> None:
        self.policy.observers.remove(observer)

    def notify(self, record: CallRecord) -> None:
        """Deliver a record of an answer served without a model call (a response-cache
        hit) to the observers, so the ledger and metrics still count it."""
        self.policy.observers.on_call(record)

    # -- what status pages and metrics read -----------------------------------

    def health_snapshot(self) -> dict[str, dict[str, Any]]:
        return {name: asdict(stats) for name, stats in self.stats.snapshot().items()}

    def circuit_snapshot(self, providers: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """{provider: {state, reason, half_open_in_s, window_failures, ...}} of this
        runtime's breaker; every provider reads closed when circuit breakers are off."""
        if self.breaker is None:
            return {name: {"state": CLOSED, "store": "memory"} for name in providers or []}
        return self.breaker.snapshot(providers)

    def latency_snapshot(self) -> dict[str, dict[str, float]]:
        return self.latency.snapshot()

    def spend_snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.budgets.snapshot()

    def strategy_status(self) -> Mapping[str, Any]:
        return describe_strategy(self.routing)

    def close(self) -> None:
        """Finish background writes (circuit successes to Redis)."""
        if self.breaker is not None:
            self.breaker.close()
