"""`CallPolicy`: everything the engine needs to run a call, and nothing else.

The engine receives this frozen object instead of the chat model: timeouts, retries,
backoff, the hedge policy, the routing strategy, the gates, the price table, and the
runtime's stateful services a call reports to (provider health and the observers).
`assembly.py` builds one per runtime from the settings; tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ai.providers.policies.health import HealthStats, ProviderHealth
from app.ai.providers.policies.hedge import HedgePolicy
from app.ai.providers.policies.pricing import PriceTable
from app.ai.providers.policies.routing import PriorityStrategy, ProviderGate, RoutingStrategy
from app.ai.providers.records import CallObserver, CallRecord, notify


class Observers:
    """The runtime's observers as one: the list may grow after models were built
    (the application adds metrics, history and the ledger at start-up)."""

    def __init__(self, observers: tuple[CallObserver, ...] | list[CallObserver] = ()) -> None:
        self._observers: tuple[CallObserver, ...] = tuple(observers)

    def add(self, observer: CallObserver) -> None:
        if observer not in self._observers:
            self._observers = (*self._observers, observer)

    def remove(self, observer: CallObserver) -> None:
        self._observers = tuple(o for o in self._observers if o is not observer)

    def __bool__(self) -> bool:
        return bool(self._observers)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._observers)

    def on_call(self, record: CallRecord) -> None:
        notify(self._observers, record)


@dataclass(frozen=True, slots=True, eq=False)
class CallPolicy:
    """How calls are run (see the module docstring)."""

    timeout: float = 60.0
    """Seconds one attempt may take (`AI_REQUEST_TIMEOUT`)."""
    deadline: float = 120.0
    """Seconds the whole call may take, retries and failover included (`AI_REQUEST_DEADLINE`)."""
    max_retries: int = 2
    """Retries of one provider, only when no other provider can take the call."""
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    hedge: HedgePolicy = field(default_factory=HedgePolicy)
    strategy: RoutingStrategy = field(default_factory=PriorityStrategy)
    gates: tuple[ProviderGate, ...] = ()
    prices: PriceTable | None = None
    """Prices answers (`cost_usd`); None leaves them unpriced."""
    health: ProviderHealth = field(default_factory=HealthStats)
    observers: Observers = field(default_factory=Observers)
    missing_settings: tuple[str, ...] = ()
    """When no member is configured: the settings whose absence leaves none."""
