"""The usage ledger: one row per AI call, for spend reports and audits.

Written in the background by `app.observability.ledger.UsageLedger`, so a slow or
unavailable database never slows or fails an AI answer. Cost is stored as a float of
USD: the ledger is for reporting (sums over many calls), not for invoicing.

Besides one row per call, every failed *attempt* inside a call (the primary's 503
before the failover answered, say) gets a row of its own, with `outcome` =
`attempt:<error class>`, the provider that failed, no tokens and no cost. That is how
`usage` shows failures of a provider whose calls were rescued by another: counted on
the call's row alone they would vanish behind the successful answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, utcnow

#: `outcome` prefix of the rows recording one failed attempt rather than a call.
ATTEMPT_OUTCOME_PREFIX = "attempt:"


class UsageRecord(SQLModel, table=True):
    """One finished AI call (successful or not); outcome `cached` is a response-cache hit."""

    __tablename__ = "ai_usage"
    __table_args__ = (
        Index("ix_ai_usage_created_at", "created_at"),
        Index("ix_ai_usage_provider_created_at", "provider", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    feature: str | None = Field(default=None, max_length=64)
    provider: str | None = Field(default=None, max_length=32)
    model: str | None = Field(default=None, max_length=128)
    input_tokens: int = 0
    """All input tokens, cache reads and writes included (LangChain's `input_tokens`)."""
    output_tokens: int = 0
    cache_read_tokens: int = 0
    """Input tokens served from the provider's prompt cache (billed at the cached rate)."""
    cache_write_tokens: int = 0
    """Input tokens written to the provider's prompt cache (Anthropic bills them at 125%)."""
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    outcome: str = Field(max_length=32)
    failover: bool = False
    strategy: str | None = Field(default=None, max_length=32)
    arm: str | None = Field(default=None, max_length=32)
    request_id: str | None = Field(default=None, max_length=64, index=True)
    client_id: str | None = Field(default=None, max_length=64)
    """The API key (`key-<id>`) the answer went to: only it may rate the answer."""

    @property
    def is_failed_attempt(self) -> bool:
        """True for the row of a failed attempt, False for the row of a call."""
        return self.outcome.startswith(ATTEMPT_OUTCOME_PREFIX)
