"""Authentication, per-client limits and the request-size cap (see docs/SECURITY.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

#: Values of `AUTH_MODE` (implemented in `app.security`): keys required, or none (local-dev).
AUTH_MODES: tuple[str, ...] = ("api-keys", "local-dev")


class SecuritySettings(BaseModel):
    AUTH_MODE: str = Field(
        default="api-keys",
        description="api-keys (every /api/v1 call needs a key) | local-dev (no auth: development only).",
    )
    RATE_LIMIT_REDIS_URL: str | None = Field(
        default=None, description="Redis for per-client AI limits (unset: AI_STATE_REDIS_URL or in-process)."
    )
    AI_RATE_LIMIT_PER_MINUTE: int = Field(
        default=60, ge=0, description="AI endpoint calls per client per minute (0: unlimited)."
    )
    AI_MAX_CONCURRENT_PER_CLIENT: int = Field(
        default=4, ge=0, description="AI endpoint calls one client may have in flight (0: unlimited)."
    )
    MAX_REQUEST_BYTES: int = Field(
        default=50_000_000, ge=1, description="Largest request body the data routes read."
    )

    @field_validator("AUTH_MODE", mode="before")
    @classmethod
    def _check_auth_mode(cls, value: Any) -> Any:
        mode = value.strip().lower() if isinstance(value, str) else value
        if mode not in AUTH_MODES:
            raise ValueError(f"AUTH_MODE={value!r}: allowed values: {' | '.join(AUTH_MODES)}")
        return mode
