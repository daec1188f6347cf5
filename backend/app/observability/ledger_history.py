"""The status page's per-minute history, read from the usage ledger (`ai_usage`).

Why the ledger and not memory: every worker process writes its calls to the same
table, and the table outlives restarts, so the charts show the whole service and do
not start empty after a deploy. The database aggregates (one row per minute and
provider), so the page's poll costs one indexed range query, not a scan of raw rows.

Figures per minute and provider (the provider that answered; failed attempts count
against the provider that failed, see `app/models/usage.py`):
* `calls`: finished calls to a provider (response-cache hits are not calls);
  `failovers`: of those, answered after another provider failed;
* `errors`: failed attempts plus calls that got no answer (a caller who left is none);
* `latency_ms`: mean whole-call latency, from the call's start to its complete answer,
  retries and failover included (failed attempts excluded);
* `cost_usd`: spend at list prices.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal_column, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from app.models.usage import ATTEMPT_OUTCOME_PREFIX, UsageRecord

_T = UsageRecord.__table__.c  # type: ignore[attr-defined]
#: Call outcomes that mean no answer came from any provider.
FAILED_OUTCOMES = ("failed", "interrupted", "not_configured")
#: Ledger rows that are not a call to a provider: response-cache hits.
NOT_PROVIDER_CALLS = ("cached",)


def _minute(dialect: str) -> ColumnElement[Any]:
    """Unix seconds of the start of the row's minute, in SQL of `dialect`."""
    # Constants inlined (not bound), so the SELECT and GROUP BY expressions are identical
    # to PostgreSQL, which compares them as written.
    sixty: ColumnElement[Any] = literal_column("60")
    if dialect == "sqlite":  # UTC stored as naive text; strftime('%s') reads it as UTC
        seconds: ColumnElement[Any] = cast(func.strftime(literal_column("'%s'"), _T.created_at), Integer)
        return (seconds // sixty) * sixty
    return cast(func.floor(func.extract("epoch", _T.created_at) / sixty) * sixty, Integer)


def ledger_history(engine: Engine, minutes: int = 60, now: float | None = None) -> list[dict[str, Any]]:
    """Oldest first: [{minute (unix s), providers: {name: figures}}] (figures: see the module docstring)
    for the last `minutes` minutes."""
    since = datetime.fromtimestamp(now if now is not None else time.time(), UTC) - timedelta(minutes=minutes)
    minute = _minute(engine.dialect.name).label("minute")
    attempt = _T.outcome.like(ATTEMPT_OUTCOME_PREFIX + "%")
    not_a_call = or_(attempt, _T.outcome.in_(NOT_PROVIDER_CALLS))
    calls = func.sum(case((not_a_call, 0), else_=1))
    query = (
        select(
            minute,
            _T.provider,
            calls.label("calls"),
            func.sum(case((not_a_call, 0), (_T.failover, 1), else_=0)).label("failovers"),
            func.sum(case((attempt, 1), (_T.outcome.in_(FAILED_OUTCOMES), 1), else_=0)).label("errors"),
            func.sum(case((not_a_call, 0), else_=_T.latency_ms)).label("latency_ms_sum"),
            func.sum(_T.cost_usd).label("cost_usd"),
        )
        .where(_T.created_at >= since)
        .group_by(minute, _T.provider)
        .order_by(minute)
    )
    buckets: dict[int, dict[str, dict[str, Any]]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            count = int(row.calls or 0)
            buckets.setdefault(int(row.minute), {})[row.provider or "none"] = {
                "calls": count,
                "failovers": int(row.failovers or 0),
                "errors": int(row.errors or 0),
                "latency_ms": round(float(row.latency_ms_sum or 0.0) / count, 3) if count else None,
                "cost_usd": round(float(row.cost_usd or 0.0), 8),
            }
    return [{"minute": m, "providers": providers} for m, providers in sorted(buckets.items())]
