"""`CallPolicy`: everything the engine needs to run a call, and nothing else.

The engine receives this frozen object instead of the chat model: timeouts, retries,
backoff, the hedge policy, the routing strategy, the gates, the price table, and the
runtime's stateful services a call reports to (provider health and the observers).
`assembly.py` builds one per runtime from the settings; tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ai.providers.policies.continuation import PrefillRefusals
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
    # -- rescuing the answer (issue 11) --
    retry_wait_max: float = 0.0
    """Longest wait worth one retry of a healthy provider's blip (`AI_RETRY_WAIT_MAX`)."""
    failover_on_content_filter: bool = False
    """Try the next provider after a content-policy refusal (`AI_FAILOVER_ON_CONTENT_FILTER`)."""
    stream_resume: str = "auto"
    """`AI_STREAM_RESUME`: continue a stream cut after content on a capable provider."""
    first_token_timeout: float = 10.0
    """`AI_FIRST_TOKEN_TIMEOUT`: seconds from request to the first content chunk."""
    stream_idle_timeout: float = 15.0
    """`AI_STREAM_IDLE_TIMEOUT`: seconds of silence after content that count as a cut."""
    max_continuations: int = 2
    """`AI_MAX_CONTINUATIONS`: continuations of a text answer cut by the output limit."""
    max_output_tokens: int | None = None
    """`AI_MAX_OUTPUT_TOKENS`: the output limit of every request whose caller set none."""
    prefill_refusals: PrefillRefusals = field(default_factory=PrefillRefusals)
    """Models that answered a prefill with a 400 during this runtime's life."""
