"""Budgets: a spent provider is skipped until its period resets; Redis shares spend."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from langchain_core.messages import HumanMessage

from app.ai.providers.adapters.base import Member
from app.ai.providers.assembly import build_member, build_runtime, configured_budgets
from app.ai.providers.policies.budget import (
    BudgetTracker,
    MemorySpendStore,
    RedisSpendStore,
    period_end,
)
from app.ai.providers.policies.routing import CallContext
from app.ai.providers.records import CallRecord
from app.core.config import Settings, load_settings

BACKEND = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _member(name: str) -> Member:
    settings = load_settings(_env_file=None, OPENAI_API_KEY="sk-x", ANTHROPIC_API_KEY="sk-y")
    return build_member(name, settings)


CONTEXT = CallContext([HumanMessage("hi")])


def test_spent_daily_budget_skips_the_provider_until_the_next_day() -> None:
    clock = FakeClock(datetime(2025, 3, 31, 23, 0, tzinfo=UTC))
    tracker = BudgetTracker({"openai": {"daily": 1.0}}, MemorySpendStore(), clock)
    openai = _member("openai")
    tracker.record("openai", 0.6)
    assert tracker.skip_reason(openai, CONTEXT) is None
    tracker.on_call(CallRecord("ok", "openai", "gpt-4o", False, "priority", 1.0, (), cost_usd=0.5))
    reason = tracker.skip_reason(openai, CONTEXT)
    assert reason is not None and reason.startswith("budget_exhausted: daily budget of 1.00 USD")
    assert tracker.skip_reason(_member("anthropic"), CONTEXT) is None  # no budget: never skipped
    clock.now = datetime(2025, 4, 1, 0, 0, 1, tzinfo=UTC)  # a new day: the counter starts at 0
    assert tracker.skip_reason(openai, CONTEXT) is None
    snapshot = tracker.snapshot()["openai"]
    assert snapshot["daily"]["spent_usd"] == 0.0 and snapshot["daily"]["remaining_usd"] == 1.0
    assert snapshot["monthly"]["limit_usd"] is None
    assert snapshot["daily"]["resets_at"] == "2025-04-02T00:00:00+00:00"


def test_monthly_budget_resets_with_the_month() -> None:
    clock = FakeClock(datetime(2025, 12, 15, tzinfo=UTC))
    tracker = BudgetTracker({"anthropic": {"monthly": 10.0}}, clock=clock)
    tracker.record("anthropic", 10.0)
    tracker.record("anthropic", 0.0)  # free calls change nothing
    assert tracker.skip_reason(_member("anthropic"), CONTEXT) is not None
    clock.now = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    assert tracker.skip_reason(_member("anthropic"), CONTEXT) is not None
    clock.now = datetime(2026, 1, 1, tzinfo=UTC)
    assert tracker.skip_reason(_member("anthropic"), CONTEXT) is None
    assert period_end("monthly", datetime(2025, 12, 15, tzinfo=UTC)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_budget_settings_build_the_gate_and_the_call_fails_over(
    emulator_settings: Callable[..., Settings],
) -> None:
    settings = emulator_settings(AI_BUDGET_OPENAI_DAILY_USD=0.0001, AI_BUDGET_ANTHROPIC_MONTHLY_USD=50)
    expected = [("anthropic", "monthly", 50.0), ("openai", "daily", 0.0001)]
    assert sorted(configured_budgets(settings)) == expected
    runtime = build_runtime(settings)
    tracker = runtime.budgets
    assert tracker in runtime.policy.gates
    model = runtime.model()
    first = model.invoke("write tokens=200").response_metadata["hybrid"]
    assert first["provider"] == "openai" and first["cost_usd"] > 0.0001
    second = model.invoke("hello").response_metadata["hybrid"]
    assert second["provider"] == "anthropic"
    assert second["skipped"][0]["provider"] == "openai"
    assert "budget_exhausted" in second["skipped"][0]["reason"]
    assert tracker.snapshot()["openai"]["daily"]["remaining_usd"] == 0
    unlimited = build_runtime(load_settings(_env_file=None)).policy.gates
    assert not any(isinstance(g, BudgetTracker) for g in unlimited)


def test_a_broken_budget_store_never_fails_the_call() -> None:
    store = RedisSpendStore("redis://127.0.0.1:1/0", timeout=0.05)
    tracker = BudgetTracker({"openai": {"daily": 0.0}}, store)
    tracker.record("openai", 1.0)
    assert tracker.skip_reason(_member("openai"), CONTEXT) is None  # fail open
    assert tracker.snapshot()["openai"]["daily"]["spent_usd"] is None


_CHILD = """
import sys
from app.ai.providers.policies.budget import BudgetTracker, RedisSpendStore
tracker = BudgetTracker({"openai": {"daily": 1.0}}, RedisSpendStore(sys.argv[1], prefix=sys.argv[2]))
for _ in range(int(sys.argv[3])):
    tracker.record("openai", 0.01)
"""


def test_budgets_are_shared_across_processes_through_redis(redis_url: str) -> None:
    prefix = f"test:budget:{uuid.uuid4().hex}:"
    tracker = BudgetTracker({"openai": {"daily": 1.0}}, RedisSpendStore(redis_url, prefix=prefix))
    try:
        worker = subprocess.Popen([sys.executable, "-c", _CHILD, redis_url, prefix, "50"], cwd=BACKEND)
        for _ in range(50):
            tracker.record("openai", 0.01)
        assert worker.wait(timeout=120) == 0
        # 2 processes x 50 x 0.01 USD = 1.00 USD: spent, as both processes see it
        assert tracker.snapshot()["openai"]["daily"]["spent_usd"] == pytest.approx(1.0)
        assert tracker.skip_reason(_member("openai"), CONTEXT) is not None
        client = redis.Redis.from_url(redis_url)
        keys = client.keys(f"{prefix}*")
        assert len(keys) == 2 and all(client.ttl(k) > 86_400 for k in keys)  # expire after the period
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.keys(f"{prefix}*"):
            client.delete(key)
