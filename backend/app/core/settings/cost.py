"""Prices, budgets, the usage ledger and metrics; prompt and response caching (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

#: Every budget setting, with the provider and period it limits: the one list the
#: validation, `budgets()` and the budget gate read (no field-name parsing).
BUDGET_SETTINGS: dict[str, tuple[str, str]] = {
    "AI_BUDGET_OPENAI_DAILY_USD": ("openai", "daily"),
    "AI_BUDGET_OPENAI_MONTHLY_USD": ("openai", "monthly"),
    "AI_BUDGET_ANTHROPIC_DAILY_USD": ("anthropic", "daily"),
    "AI_BUDGET_ANTHROPIC_MONTHLY_USD": ("anthropic", "monthly"),
}


class CostSettings(BaseModel):
    AI_PRICES: str | None = Field(default=None, description="JSON price overrides (USD / 1M tokens).")
    AI_PRICES_FILE: str | None = Field(default=None, description="Path of a JSON price override file.")
    AI_BUDGET_OPENAI_DAILY_USD: float | None = None
    AI_BUDGET_OPENAI_MONTHLY_USD: float | None = None
    AI_BUDGET_ANTHROPIC_DAILY_USD: float | None = None
    AI_BUDGET_ANTHROPIC_MONTHLY_USD: float | None = None
    AI_LEDGER_ENABLED: bool = Field(default=True, description="Write every AI call to the usage ledger.")
    AI_LEDGER_FLUSH_SECONDS: float = Field(default=1.0, description="Ledger background flush period.")
    METRICS_ENABLED: bool = Field(default=True, description="Serve Prometheus metrics at /metrics.")
    AI_PROMPT_CACHING: bool = Field(
        default=True, description="Mark stable prompt prefixes with cache_control for Anthropic."
    )
    AI_RESPONSE_CACHE_ENABLED: bool = Field(
        default=False,
        description="Serve feature calls whose model input (after stage one) and models repeat from a cache.",
    )
    # 6 h: the key is the model's exact input (after stage one), so a data write that
    # changes what the model would see is a miss whatever the age; the TTL only bounds how
    # long a model may drift behind an unchanged name (docs/COSTS.md).
    AI_RESPONSE_CACHE_TTL_SECONDS: float = Field(
        default=21_600.0, gt=0, description="Seconds a cached answer may be served."
    )
    AI_RESPONSE_CACHE_MAX_ENTRIES: int = Field(
        default=10_000, ge=1, description="Most cached answers kept (oldest evicted first)."
    )
    AI_RESPONSE_CACHE_MAX_ENTRY_BYTES: int = Field(
        default=262_144, ge=1, description="Answers larger than this (JSON bytes) are not cached."
    )
    AI_RESPONSE_CACHE_REDIS_URL: str | None = Field(
        default=None, description="Redis for the response cache (unset: AI_STATE_REDIS_URL, else the DB)."
    )

    def budget_usd(self, provider: str, period: str) -> float | None:
        """`AI_BUDGET_<PROVIDER>_<DAILY|MONTHLY>_USD`, None when unlimited."""
        return next((usd for p, q, usd in self.budgets() if (p, q) == (provider, period)), None)

    def budgets(self) -> list[tuple[str, str, float]]:
        """(provider, period, USD) of every budget setting that is set."""
        found = []
        for name, (provider, period) in BUDGET_SETTINGS.items():
            value = getattr(self, name)
            if value is not None:
                found.append((provider, period, float(value)))
        return found

    def problems(self) -> list[str]:
        problems: list[str] = []
        for name in BUDGET_SETTINGS:
            if (value := getattr(self, name)) is not None and value < 0:
                problems.append(f"{name}={value} must be a non-negative amount of USD, or unset")
        if self.AI_LEDGER_FLUSH_SECONDS <= 0:
            problems.append(f"AI_LEDGER_FLUSH_SECONDS={self.AI_LEDGER_FLUSH_SECONDS} must be positive")
        if self.AI_PRICES:
            try:
                if not isinstance(json.loads(self.AI_PRICES), dict):
                    raise ValueError("not an object")
            except ValueError as error:
                problems.append(f"AI_PRICES must be a JSON object of model -> prices ({error})")
        url = self.AI_RESPONSE_CACHE_REDIS_URL
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            problems.append(
                "AI_RESPONSE_CACHE_REDIS_URL must be a redis://, rediss:// or unix:// URL "
                f"(got scheme {url.split(':', 1)[0][:12]!r})"
            )
        if self.AI_PRICES_FILE and not Path(self.AI_PRICES_FILE).is_file():
            problems.append(f"AI_PRICES_FILE={self.AI_PRICES_FILE!r}: allowed values: a path to a JSON file")
        return problems
