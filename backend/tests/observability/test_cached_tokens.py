"""Cached prompt tokens reach the ledger row and /metrics, and are priced at cached rates."""

from __future__ import annotations

from decimal import Decimal

from app.ai.providers.adapters.registry import default_prices
from app.ai.providers.policies.pricing import PriceTable
from app.ai.providers.records import CallRecord
from app.core.request_context import reset_client_id, set_client_id
from app.observability.ledger import row_for
from app.observability.metrics import MetricsObserver

USAGE = {
    "input_tokens": 3_000, "output_tokens": 100,
    "input_token_details": {"cache_read": 2_048, "cache_creation": 0},
}


def _record(model: str = "gpt-4o-cached-test") -> CallRecord:
    return CallRecord(
        outcome="ok", provider="openai", model=model, failover=False, strategy="priority",
        latency_ms=12.0, attempts=(), usage=USAGE, metadata={"feature": "document_qa", "request_id": "r-1"},
        cost_usd=0.001,
    )


def test_ledger_row_carries_cache_tokens_and_the_receiving_key() -> None:
    token = set_client_id("key-42")
    try:
        row = row_for(_record())
    finally:
        reset_client_id(token)
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (3_000, 2_048, 0)
    assert row["client_id"] == "key-42" and row["request_id"] == "r-1"


def test_metrics_count_cache_reads_separately() -> None:
    metrics = MetricsObserver()
    metrics.on_call(_record())
    text = metrics.render().decode()
    assert 'tandem_ai_tokens_total{direction="cache_read",model="gpt-4o-cached-test",provider="openai"} 2048.0' in text


def test_cached_input_is_priced_at_the_cached_rate() -> None:
    table = PriceTable(default_prices())
    cached = table.cost_of("gpt-4o", USAGE) or Decimal(0)
    uncached = table.cost_of("gpt-4o", {"input_tokens": 3_000, "output_tokens": 100}) or Decimal(0)
    # 2,048 of the 3,000 input tokens at 1.25 instead of 2.50 USD per million
    assert uncached - cached == Decimal(2_048) * Decimal("1.25") / Decimal(1_000_000)
