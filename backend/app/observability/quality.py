"""A/B quality per arm and feature: ratings, latency, cost, failover and truncation, with
confidence intervals and a significance verdict.

An *arm* is the provider the routing strategy put first for the call (`arm` in the
ledger), so under `AI_ROUTING_STRATEGY=ab` the arms are the split's providers.

Why by hand: the statistics needed are three closed-form formulas (Wilson score
interval for a share, normal interval for a mean, two-proportion z-test), a few lines
each with `math.erfc`; SciPy or statsmodels would add ~100 MB of dependencies for them.
The figures come from SQL aggregates (COUNT/SUM/AVG, portable across SQLite and
PostgreSQL), so a report over a busy month is one grouped scan of each table.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.models.quality import AIFeedback
from app.models.usage import ATTEMPT_OUTCOME_PREFIX, UsageRecord

Z_95 = 1.959963984540054
SIGNIFICANCE = 0.05
#: Ratings each arm needs before a verdict is attempted (below it the normal
#: approximation of the z-test is not trustworthy).
MIN_RATINGS_PER_ARM = 10
_USAGE: Any = UsageRecord.__table__  # type: ignore[attr-defined]
_FEEDBACK: Any = AIFeedback.__table__  # type: ignore[attr-defined]
TRUNCATED_OUTCOMES = ("interrupted", "truncated")


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """95% Wilson score interval of a share (sound at small n and near 0 or 1)."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(max(centre - half, 0.0), 4), round(min(centre + half, 1.0), 4)


def mean_interval(total: float, squares: float, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """95% normal interval of a mean from its sum and sum of squares."""
    if n < 2:
        return None
    mean = total / n
    variance = max((squares - n * mean * mean) / (n - 1), 0.0)
    half = z * math.sqrt(variance / n)
    return round(mean - half, 4), round(mean + half, 4)


def two_proportion_p_value(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """Two-sided p-value of H0 "equal shares" (pooled two-proportion z-test)."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = abs(s1 / n1 - s2 / n2) / spread
    return math.erfc(z / math.sqrt(2))


def verdict(arms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Compare the two most-rated arms' positive shares."""
    rated = sorted(
        ((name, a["ratings"]) for name, a in arms.items() if a["ratings"]["n"] > 0),
        key=lambda item: item[1]["n"], reverse=True,
    )
    if len(rated) < 2:
        return {"significant": False, "better_arm": None, "p_value": None,
                "text": "no significant difference yet (fewer than two rated arms)"}
    (a, ra), (b, rb) = rated[:2]
    if min(ra["n"], rb["n"]) < MIN_RATINGS_PER_ARM:
        return {"significant": False, "better_arm": None, "p_value": None,
                "text": f"no significant difference yet (need {MIN_RATINGS_PER_ARM} ratings per arm; "
                        f"{a}: {ra['n']}, {b}: {rb['n']})"}
    p_value = two_proportion_p_value(ra["positive"], ra["n"], rb["positive"], rb["n"])
    assert p_value is not None
    if p_value < SIGNIFICANCE:
        better = a if ra["positive"] / ra["n"] > rb["positive"] / rb["n"] else b
        return {"significant": True, "better_arm": better, "p_value": round(p_value, 5),
                "text": f"arm {better} better at p < {SIGNIFICANCE} (p = {p_value:.4f}, {a} vs {b})"}
    return {"significant": False, "better_arm": None, "p_value": round(p_value, 5),
            "text": f"no significant difference yet (p = {p_value:.3f}, {a} vs {b})"}


def _answers(engine: Engine, since: datetime) -> dict[tuple[str, str], dict[str, Any]]:
    u = _USAGE
    truncated = sa.case((u.c.outcome.in_(TRUNCATED_OUTCOMES), 1), else_=0)
    query = (
        sa.select(
            u.c.feature, u.c.arm, sa.func.count(), sa.func.sum(u.c.cost_usd),
            sa.func.sum(u.c.latency_ms), sa.func.sum(u.c.latency_ms * u.c.latency_ms),
            sa.func.sum(sa.case((u.c.failover, 1), else_=0)), sa.func.sum(truncated),
            sa.func.sum(sa.case((u.c.outcome == "cached", 1), else_=0)),
        )
        .where(u.c.created_at >= since, sa.not_(u.c.outcome.startswith(ATTEMPT_OUTCOME_PREFIX)))
        .group_by(u.c.feature, u.c.arm)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for feature, arm, n, cost, latency, latency_sq, failovers, truncations, cached in rows:
        n = int(n)
        out[(feature or "unknown", arm or "none")] = {
            "answers": n,
            "cost_per_answer_usd": round(float(cost or 0) / n, 8) if n else None,
            "latency_ms": {
                "mean": round(float(latency or 0) / n, 3) if n else None,
                "ci95": mean_interval(float(latency or 0), float(latency_sq or 0), n),
            },
            "failover_rate": _share(int(failovers or 0), n),
            "truncation_rate": _share(int(truncations or 0), n),
            "cache_hits": int(cached or 0),
        }
    return out


def _share(successes: int, n: int) -> dict[str, Any]:
    return {"value": round(successes / n, 4) if n else None, "ci95": wilson_interval(successes, n)}


def _ratings(engine: Engine, since: datetime) -> dict[tuple[str, str], dict[str, Any]]:
    f = _FEEDBACK
    query = (
        sa.select(
            f.c.feature, f.c.arm, sa.func.count(), sa.func.sum(sa.case((f.c.positive, 1), else_=0)),
            sa.func.sum(f.c.rating), sa.func.sum(f.c.rating * f.c.rating),
        )
        .where(f.c.created_at >= since)
        .group_by(f.c.feature, f.c.arm)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for feature, arm, n, positive, total, squares in rows:
        n, positive = int(n), int(positive or 0)
        out[(feature or "unknown", arm or "none")] = {
            "n": n,
            "positive": positive,
            "positive_share": _share(positive, n),
            "mean_rating": round(float(total or 0) / n, 3) if n else None,
            "mean_rating_ci95": mean_interval(float(total or 0), float(squares or 0), n),
        }
    return out


def _no_ratings() -> dict[str, Any]:
    return {"n": 0, "positive": 0, "positive_share": _share(0, 0), "mean_rating": None,
            "mean_rating_ci95": None}


def quality_report(engine: Engine, days: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """{"window_days", "features": {feature: {"arms": {arm: figures}, "verdict": {...}}}}."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    answers = _answers(engine, since)
    ratings = _ratings(engine, since)
    features: dict[str, dict[str, Any]] = defaultdict(lambda: {"arms": {}})
    for feature, arm in sorted(set(answers) | set(ratings)):
        features[feature]["arms"][arm] = {
            **answers.get((feature, arm), {"answers": 0}),
            "ratings": ratings.get((feature, arm), _no_ratings()),
        }
    for entry in features.values():
        entry["verdict"] = verdict(entry["arms"])
    return {"window_days": days, "features": dict(features)}


class CachedQualityReport:
    """`quality_report` recomputed at most every `max_age` seconds.

    Why: the status page polls every few seconds; the report is two grouped scans.
    A database failure gives `{"error": ...}` instead of failing the status page.
    """

    def __init__(self, engine: Engine, days: int = 7, max_age: float = 10.0) -> None:
        self.engine = engine
        self.days = days
        self.max_age = max_age
        self._report: dict[str, Any] | None = None
        self._at = 0.0

    def get(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._report is None or now - self._at > self.max_age:
            try:
                self._report = quality_report(self.engine, self.days)
            except sa.exc.SQLAlchemyError as error:
                return {"window_days": self.days, "features": {}, "error": type(error).__name__}
            self._at = now
        return self._report
