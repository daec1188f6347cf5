"""Prices, budgets, the usage ledger and metrics."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field


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

    def budget_usd(self, provider: str, period: str) -> float | None:
        """`AI_BUDGET_<PROVIDER>_<DAILY|MONTHLY>_USD`, None when unlimited."""
        value = getattr(self, f"AI_BUDGET_{provider.upper()}_{period.upper()}_USD", None)
        return float(value) if value is not None else None

    def problems(self) -> list[str]:
        problems: list[str] = []
        for name in type(self).model_fields:
            if name.startswith("AI_BUDGET_") and (value := getattr(self, name)) is not None and value < 0:
                problems.append(f"{name}={value} must be a non-negative amount of USD, or unset")
        if self.AI_LEDGER_FLUSH_SECONDS <= 0:
            problems.append(f"AI_LEDGER_FLUSH_SECONDS={self.AI_LEDGER_FLUSH_SECONDS} must be positive")
        if self.AI_PRICES:
            try:
                if not isinstance(json.loads(self.AI_PRICES), dict):
                    raise ValueError("not an object")
            except ValueError as error:
                problems.append(f"AI_PRICES must be a JSON object of model -> prices ({error})")
        if self.AI_PRICES_FILE and not Path(self.AI_PRICES_FILE).is_file():
            problems.append(f"AI_PRICES_FILE={self.AI_PRICES_FILE!r}: allowed values: a path to a JSON file")
        return problems
