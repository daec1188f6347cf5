"""API keys of the clients allowed to call the API (issue 7).

Only a SHA-256 digest of each key is stored: the key itself is shown once, when it is
created, so a leaked database (or backup) gives nobody a working key. The `prefix`
(the key's first characters) is stored in clear so operators can tell keys apart in
`api-key list` and match a key a client holds to its row without the secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.models.common import UTCDateTime, utcnow


class ApiKey(SQLModel, table=True):
    """One client key: who it is for, what it may do, and whether it still works."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_key_hash", "key_hash", unique=True), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    scope: str = Field(max_length=16)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Gateway limits of this key (issue 16); None means the service-wide default.
    allowed_routes: str | None = Field(default=None, max_length=1000)
    """Comma-separated gateway routes / models the key may name; None: all of them."""
    rate_limit_per_minute: int | None = None
    """AI calls per minute (0: unlimited); None: `AI_RATE_LIMIT_PER_MINUTE`."""
    max_concurrent: int | None = None
    """AI calls in flight (0: unlimited); None: `AI_MAX_CONCURRENT_PER_CLIENT`."""
    daily_budget_usd: float | None = None
    """Gateway spend per UTC day in USD; None: no budget of its own."""

    def __repr__(self) -> str:
        # The digest is not a secret, but nothing key-shaped belongs in a repr or a log.
        return f"ApiKey(id={self.id}, name={self.name!r}, scope={self.scope!r}, prefix={self.prefix!r})"
