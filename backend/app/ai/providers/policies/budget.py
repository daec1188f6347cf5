"""Budgets per provider, daily and monthly: a provider whose budget is spent is skipped.

`BudgetTracker` is both a `ProviderGate` (vetoes a provider whose budget for the
current period is spent, so the call goes to the other one) and a `CallObserver`
(adds each answer's cost to the provider's period counters). Periods are UTC days
and months: the counters live under period keys, so a new day simply starts at 0.

Workers share spend through Redis when `AI_STATE_REDIS_URL` is set (INCRBYFLOAT on
period keys that expire after the period); otherwise the counters are in-process.
A broken Redis never fails a call: the gate lets the call through and logs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from app.ai.providers.adapters.base import Member
from app.ai.providers.policies.routing import CallContext
from app.ai.providers.records import CallRecord

logger = logging.getLogger("app.ai.providers")

PERIODS = ("daily", "monthly")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def period_key(period: str, now: datetime) -> str:
    """`2025-01-31` for a day, `2025-01` for a month (UTC)."""
    return now.strftime("%Y-%m-%d" if period == "daily" else "%Y-%m")


def period_end(period: str, now: datetime) -> datetime:
    """When the period containing `now` resets (UTC midnight / first of next month)."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        return start + timedelta(days=1)
    first = start.replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def period_bounds(period: str, day: date) -> tuple[str, datetime]:
    """Key and reset time of the period containing `day`."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return period_key(period, midnight), period_end(period, midnight)


class SpendStore(Protocol):
    """Where per-period spend lives (process memory or Redis)."""

    def add(self, provider: str, period: str, key: str, amount: float, expires_at: datetime) -> float: ...

    def spent(self, provider: str, period: str, key: str) -> float: ...


class MemorySpendStore:
    """Counters for one process; keys of past periods are dropped as new ones appear."""

    def __init__(self) -> None:
        self._spent: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, provider: str, period: str, key: str, amount: float, expires_at: datetime) -> float:
        with self._lock:
            current_key, value = self._spent.get((provider, period), (key, 0.0))
            value = (value if current_key == key else 0.0) + amount
            self._spent[(provider, period)] = (key, value)
            return value

    def spent(self, provider: str, period: str, key: str) -> float:
        with self._lock:
            current_key, value = self._spent.get((provider, period), (key, 0.0))
            return value if current_key == key else 0.0


class RedisSpendStore:
    """Counters shared by every worker: INCRBYFLOAT on `<prefix><provider>:<period>:<key>`."""

    def __init__(self, url: str, prefix: str = "tandem:ai:budget:", timeout: float = 0.25) -> None:
        import redis

        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)

    def _key(self, provider: str, period: str, key: str) -> str:
        return f"{self.prefix}{provider}:{period}:{key}"

    def add(self, provider: str, period: str, key: str, amount: float, expires_at: datetime) -> float:
        name = self._key(provider, period, key)
        pipe = self._client.pipeline()
        pipe.incrbyfloat(name, amount)
        # Kept a day past the period so a late reader still sees the final figure.
        pipe.expireat(name, int(expires_at.timestamp()) + 86_400)
        total, _ = pipe.execute()
        return float(total)

    def spent(self, provider: str, period: str, key: str) -> float:
        value: Any = self._client.get(self._key(provider, period, key))
        return float(value) if value is not None else 0.0


class BudgetTracker:
    """Spend against `limits[provider][period]` (USD); gate and observer in one."""

    def __init__(
        self,
        limits: Mapping[str, Mapping[str, float]],
        store: SpendStore | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.limits = {p: dict(v) for p, v in limits.items() if v}
        self.store: SpendStore = store or MemorySpendStore()
        self.clock = clock
        self.seen_providers: set[str] = set()
        self._warned_at = 0.0
        # Period keys of the current day, memoised: they are on every call's path.
        self._bounds: tuple[date, dict[str, tuple[str, datetime]]] | None = None

    def _spent(self, provider: str, period: str, now: datetime) -> float | None:
        try:
            return self.store.spent(provider, period, period_key(period, now))
        except Exception as exc:  # a broken store must not fail AI calls
            self._warn(exc)
            return None

    def _warn(self, exc: BaseException) -> None:
        if time.monotonic() - self._warned_at > 60:
            self._warned_at = time.monotonic()
            logger.warning("budget store unavailable, budgets not enforced: %s", exc)

    def skip_reason(self, member: Member, context: CallContext) -> str | None:
        now = self.clock()
        for period, limit in self.limits.get(member.name, {}).items():
            spent = self._spent(member.name, period, now)
            if spent is not None and spent >= limit:
                return f"budget_exhausted: {period} budget of {limit:.2f} USD spent ({spent:.4f} USD)"
        return None

    def record(self, provider: str, amount: float) -> None:
        """Add `amount` USD to every period counter of `provider`."""
        self.seen_providers.add(provider)
        if amount <= 0:
            return
        day = self.clock().astimezone(UTC).date()
        if self._bounds is None or self._bounds[0] != day:
            self._bounds = (day, {period: period_bounds(period, day) for period in PERIODS})
        for period, (key, end) in self._bounds[1].items():
            try:
                self.store.add(provider, period, key, amount, end)
            except Exception as exc:
                self._warn(exc)
                return

    def on_call(self, record: CallRecord) -> None:
        cost = getattr(record, "cost_usd", None)
        if record.provider and cost:
            self.record(record.provider, float(cost))

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Spend, limit, remaining and reset time per provider and period (status, metrics)."""
        now = self.clock()
        report: dict[str, dict[str, dict[str, Any]]] = {}
        for provider in sorted({*self.limits, *self.seen_providers}):
            for period in PERIODS:
                limit = self.limits.get(provider, {}).get(period)
                spent = self._spent(provider, period, now)
                report.setdefault(provider, {})[period] = {
                    "spent_usd": round(spent, 6) if spent is not None else None,
                    "limit_usd": limit,
                    "remaining_usd": (
                        None if limit is None or spent is None else round(max(limit - spent, 0), 6)
                    ),
                    "resets_at": period_end(period, now).isoformat(),
                }
        return report
