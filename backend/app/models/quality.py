"""Tables of the cost and quality levers (issue 15): ratings, cached answers, eval runs.

* `ai_feedback`: one rating per answer (`request_id`), copied with the answer's arm,
  provider, model, feature, cost and latency from the usage ledger, so A/B reports are
  one table scan and survive ledger retention.
* `ai_response_cache`: the response cache's database store (used when no Redis is
  configured): JSON answers by key, with an expiry.
* `ai_eval_results`: `python -m app.cli eval` answers, side by side per provider.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, utcnow


class AIFeedback(SQLModel, table=True):
    """A rating of one AI answer by the key that received it."""

    __tablename__ = "ai_feedback"
    __table_args__ = (Index("ix_ai_feedback_created_at", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    request_id: str = Field(max_length=64, unique=True)
    client_id: str = Field(max_length=64)
    feature: str | None = Field(default=None, max_length=64)
    provider: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=128)
    arm: str | None = Field(default=None, max_length=32)
    strategy: str | None = Field(default=None, max_length=32)
    rating: int = Field(description="1..5 stars, or thumbs: 5 up / 1 down.")
    positive: bool = Field(description="Thumbs up, or 4-5 stars: what the A/B test compares.")
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    failover: bool = False
    cached: bool = False


class ResponseCacheEntry(SQLModel, table=True):
    """One cached feature answer (database store of the response cache)."""

    __tablename__ = "ai_response_cache"
    __table_args__ = (Index("ix_ai_response_cache_expires_at", "expires_at"),)

    key: str = Field(primary_key=True, max_length=64)
    feature: str = Field(max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class EvalResult(SQLModel, table=True):
    """One prompt of an eval run answered by one provider."""

    __tablename__ = "ai_eval_results"
    __table_args__ = (Index("ix_ai_eval_results_run_id", "run_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    prompt_id: str = Field(max_length=128)
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    provider: str = Field(max_length=32)
    model: str = Field(max_length=128)
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
