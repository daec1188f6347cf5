"""The record of one attempt, kept on answers, errors and log lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one provider within a call."""

    provider: str
    model: str
    outcome: str  # "ok", or the ErrorClass value of the failure
    latency_ms: float
    reason: str | None = None
    status: int | None = None
    retry_after: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, without empty fields (on every answer: kept cheap)."""
        return {k: v for k in self.__slots__ if (v := getattr(self, k)) is not None}

    def summary(self) -> str:
        """`openai (gpt-4o): transient rate_limited 429` -- for error messages."""
        parts = [f"{self.provider} ({self.model}): {self.outcome}"]
        if self.reason:
            parts.append(self.reason)
        if self.status:
            parts.append(str(self.status))
        return " ".join(parts) + (f" - {self.error}" if self.error else "")
