"""Prometheus metrics of AI calls, fed by a `CallObserver`.

Series (all prefixed `tandem_ai_`): calls, failovers, attempt errors by class and
provider, call latency and time-to-first-token histograms, tokens, cost, plus gauges
read at scrape time: budget remaining per provider and period, circuit state.
Labels stay low-cardinality (provider, model, outcome, strategy, arm, feature):
never user or request ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from app.ai.providers.policies.pricing import token_counts
from app.ai.providers.records import CallRecord

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)


class MetricsObserver:
    """Turns each `CallRecord` into metric updates (cheap: a few dict look-ups).

    Each observer has its own registry: one per application, fed by that application's
    `AIRuntime`, so `/metrics` shows the calls of the runtime that served them.
    """

    def __init__(self) -> None:
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.calls = Counter(
            "tandem_ai_calls", "Finished AI calls.",
            ["provider", "model", "outcome", "strategy", "arm", "feature"], registry=registry,
        )
        self.failovers = Counter(
            "tandem_ai_failovers",
            "Calls served by another provider than the routing order's first (skipped or failed).",
            ["from_provider", "to_provider", "reason"], registry=registry,
        )
        self.errors = Counter(
            "tandem_ai_attempt_errors", "Failed provider attempts by error class.",
            ["provider", "error_class", "reason"], registry=registry,
        )
        self.skips = Counter(
            "tandem_ai_provider_skips", "Providers skipped before any attempt (budget, circuit...).",
            ["provider", "reason"], registry=registry,
        )
        self.latency = Histogram(
            "tandem_ai_call_latency_seconds", "Whole-call latency, retries and failover included.",
            ["provider", "outcome"], buckets=_LATENCY_BUCKETS, registry=registry,
        )
        self.ttft = Histogram(
            "tandem_ai_time_to_first_token_seconds", "Time to the first streamed token of the answer.",
            ["provider"], buckets=_LATENCY_BUCKETS, registry=registry,
        )
        self.tokens = Counter(
            "tandem_ai_tokens", "Tokens reported by the providers.", ["provider", "model", "direction"],
            registry=registry,
        )
        self.cost = Counter(
            "tandem_ai_cost_usd", "Spend in USD at list prices.", ["provider", "model"], registry=registry,
        )
        self.feedback = Counter(
            "tandem_ai_feedback", "Ratings of AI answers (POST /api/v1/ai/feedback) by arm and verdict.",
            ["arm", "provider", "feature", "verdict"], registry=registry,
        )

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """`metric.labels(*labels)`, remembered: `labels()` validates and locks on every
        call, a few microseconds each, several times per AI call. The children are the
        metric's own (it keeps them anyway), so this holds nothing more than it does."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def on_call(self, record: CallRecord) -> None:
        provider = record.provider or "none"
        model = record.model or "none"
        feature = str(record.metadata.get("feature") or "unknown")[:64]
        self._child(self.calls, provider, model, record.outcome, record.strategy, record.arm or "none",
                    feature).inc()
        self._child(self.latency, provider, record.outcome).observe(record.latency_ms / 1000.0)
        if record.failover:
            origin = record.arm or (record.attempts[0].provider if record.attempts else "none")
            self._child(self.failovers, origin, provider, record.failover_reason or "unknown").inc()
        for attempt in record.attempts:
            if not attempt.ok:
                self._child(self.errors, attempt.provider, attempt.outcome, attempt.reason or "unknown").inc()
        for skipped in record.skipped:
            reason = skipped.get("reason", "?").split(":")[0]
            self._child(self.skips, skipped.get("provider", "?"), reason).inc()
        if record.ttft_ms is not None:
            self._child(self.ttft, provider).observe(record.ttft_ms / 1000.0)
        for direction, count in token_counts(record.usage).items():
            if count:  # input (cached included), output, cache_read, cache_write
                kind = direction.removesuffix("_tokens")
                self._child(self.tokens, provider, model, kind).inc(count)
        if record.cost_usd:
            self._child(self.cost, provider, model).inc(record.cost_usd)

    def install_scrape_gauges(self, gauges: ScrapeTimeGauges) -> None:
        """Read budget and circuit gauges from `gauges` at each scrape."""
        self.registry.register(gauges)

    def render(self) -> bytes:
        """The Prometheus text exposition of every series."""
        return generate_latest(self.registry)


_CIRCUIT_VALUES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}


class ScrapeTimeGauges(Collector):
    """Budget remaining and circuit state, read from their owners when scraped."""

    def __init__(
        self,
        budgets: Callable[[], dict[str, dict[str, dict[str, Any]]]],
        circuits: Callable[[], dict[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.budgets = budgets
        self.circuits = circuits

    def collect(self) -> Iterable[Metric]:
        remaining = GaugeMetricFamily(
            "tandem_ai_budget_remaining_usd", "USD left in the provider's budget period.",
            labels=["provider", "period"],
        )
        spent = GaugeMetricFamily(
            "tandem_ai_budget_spent_usd", "USD spent in the current budget period.",
            labels=["provider", "period"],
        )
        for provider, periods in self.budgets().items():
            for period, figures in periods.items():
                if figures.get("spent_usd") is not None:
                    spent.add_metric([provider, period], figures["spent_usd"])
                if figures.get("remaining_usd") is not None:
                    remaining.add_metric([provider, period], figures["remaining_usd"])
        yield remaining
        yield spent
        if self.circuits is not None:
            state = GaugeMetricFamily(
                "tandem_ai_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
                labels=["provider"],
            )
            for provider, figures in self.circuits().items():
                state.add_metric([provider], _CIRCUIT_VALUES.get(str(figures.get("state")), -1.0))
            yield state
