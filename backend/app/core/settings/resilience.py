"""Timeouts, retries, backoff, circuit breakers, hedging and the shared state store."""

from __future__ import annotations

from pydantic import BaseModel, Field

#: Values of `AI_HEDGE_MODE` (implemented in `app.ai.providers.policies.hedge`).
HEDGE_MODES: tuple[str, ...] = ("off", "fixed", "adaptive")
#: Values of `AI_STREAM_RESUME` (implemented in `app.ai.providers.policies.continuation`).
STREAM_RESUME_MODES: tuple[str, ...] = ("auto", "off")


class ResilienceSettings(BaseModel):
    AI_REQUEST_TIMEOUT: float = Field(default=60.0, description="Seconds per provider attempt.")
    AI_REQUEST_DEADLINE: float = Field(
        default=120.0, description="Seconds for a whole call: retries and failover included."
    )
    AI_MAX_RETRIES: int = Field(default=2, description="Retries on one provider.")
    AI_BACKOFF_BASE: float = Field(
        default=0.5, description="Seconds: first retry waits up to this (full jitter), doubling."
    )
    AI_BACKOFF_MAX: float = Field(default=8.0, description="Seconds: cap of one backoff pause.")

    AI_STATE_REDIS_URL: str | None = Field(
        default=None,
        description="Redis shared by workers (circuits, budgets, latency); in-process state when unset.",
    )
    AI_STATE_KEY_PREFIX: str = Field(
        default="tandem:ai", description="Prefix of the Redis keys holding shared AI state."
    )
    AI_CIRCUIT_ENABLED: bool = Field(
        default=True, description="Per-provider circuit breakers (see docs/RESILIENCE.md)."
    )
    AI_CIRCUIT_WINDOW_SECONDS: float = Field(
        default=30.0, description="Sliding window over which failures are counted."
    )
    AI_CIRCUIT_MIN_FAILURES: int = Field(
        default=5, description="Failures within the window needed before the circuit may open."
    )
    AI_CIRCUIT_FAILURE_RATIO: float = Field(
        default=0.5, description="Share of failed calls within the window that opens the circuit."
    )
    AI_CIRCUIT_COOLDOWN_SECONDS: float = Field(
        default=2.0,
        description="Seconds open before the first half-open. Each consecutive re-open doubles "
        "the time from the first opening to the next half-open (2, 4, 8 s...; each wait at most "
        "AI_CIRCUIT_MAX_COOLDOWN_SECONDS) unless the provider sent retry-after.",
    )
    AI_CIRCUIT_MAX_COOLDOWN_SECONDS: float = Field(
        default=120.0, description="Cap on a doubled or retry-after-driven cooldown."
    )
    AI_CIRCUIT_FATAL_COOLDOWN_SECONDS: float = Field(
        default=300.0, description="Seconds open after a provider-fatal error (bad key, quota, billing)."
    )
    AI_CIRCUIT_HALF_OPEN_PROBES: int = Field(
        default=1, description="Calls let through at once while half-open."
    )
    AI_HEDGE_MODE: str | None = Field(
        default=None, description="off | fixed | adaptive; unset: fixed when AI_HEDGE_AFTER_MS is set."
    )
    AI_HEDGE_AFTER_MS: float | None = Field(
        default=None, description="Start the next provider when the first has no token after this."
    )
    AI_HEDGE_MIN_MS: float = Field(default=50.0, description="adaptive: never hedge sooner than this.")

    # Rescuing the answer (issue 11; docs/AI_PROVIDER_GUIDE.md "Rescue rules").
    AI_STREAM_RESUME: str = Field(
        default="auto",
        description="auto: a stream cut after content continues on the next provider that can "
        "continue (prefill); off: it ends with StreamInterruptedError.",
    )
    AI_FIRST_TOKEN_TIMEOUT: float = Field(
        default=10.0,
        description="Seconds a provider may answer headers without content before it is abandoned.",
    )
    AI_STREAM_IDLE_TIMEOUT: float = Field(
        default=15.0, description="Seconds of silence after content that count as a cut stream."
    )
    AI_RETRY_WAIT_MAX: float = Field(
        default=2.5,
        description="Longest backoff/retry-after worth one retry of a healthy provider's blip "
        "before failing over; 0 = fail over first.",
    )
    AI_FAILOVER_ON_CONTENT_FILTER: bool = Field(
        default=False, description="Try the next provider when one refuses on content policy."
    )
    AI_MAX_CONTINUATIONS: int = Field(
        default=2, description="Continuations of a text answer cut by the output limit (own features)."
    )

    def problems(self) -> list[str]:
        """Timeouts, retries and backoff first, then hedging and circuits."""
        problems: list[str] = []
        if self.AI_REQUEST_TIMEOUT <= 0:
            problems.append(
                f"AI_REQUEST_TIMEOUT={self.AI_REQUEST_TIMEOUT} must be a positive number of seconds"
            )
        if self.AI_REQUEST_DEADLINE < self.AI_REQUEST_TIMEOUT:
            problems.append(
                f"AI_REQUEST_DEADLINE={self.AI_REQUEST_DEADLINE} must be at least "
                f"AI_REQUEST_TIMEOUT ({self.AI_REQUEST_TIMEOUT}) seconds"
            )
        if self.AI_BACKOFF_BASE < 0 or self.AI_BACKOFF_MAX < self.AI_BACKOFF_BASE:
            problems.append(
                f"AI_BACKOFF_BASE={self.AI_BACKOFF_BASE} / AI_BACKOFF_MAX={self.AI_BACKOFF_MAX}: "
                "allowed values are 0 <= AI_BACKOFF_BASE <= AI_BACKOFF_MAX seconds"
            )
        if self.AI_MAX_RETRIES < 0:
            problems.append(f"AI_MAX_RETRIES={self.AI_MAX_RETRIES} must be 0 or more")
        return problems + self._hedge_and_circuit_problems() + self._rescue_problems()

    def _rescue_problems(self) -> list[str]:
        problems: list[str] = []
        if self.AI_STREAM_RESUME not in STREAM_RESUME_MODES:
            problems.append(
                f"AI_STREAM_RESUME={self.AI_STREAM_RESUME!r} is unknown; allowed values: "
                + ", ".join(STREAM_RESUME_MODES)
            )
        for name in ("AI_FIRST_TOKEN_TIMEOUT", "AI_STREAM_IDLE_TIMEOUT"):
            if getattr(self, name) <= 0:
                problems.append(f"{name}={getattr(self, name)}: allowed values are > 0 seconds")
        if self.AI_RETRY_WAIT_MAX < 0:
            problems.append(
                f"AI_RETRY_WAIT_MAX={self.AI_RETRY_WAIT_MAX}: allowed values are >= 0 seconds "
                "(0 = fail over first)"
            )
        if not 0 <= self.AI_MAX_CONTINUATIONS <= 10:
            problems.append(
                f"AI_MAX_CONTINUATIONS={self.AI_MAX_CONTINUATIONS}: allowed values are integers 0-10"
            )
        return problems

    def _hedge_and_circuit_problems(self) -> list[str]:
        problems: list[str] = []
        if self.AI_HEDGE_MODE is not None and self.AI_HEDGE_MODE not in HEDGE_MODES:
            problems.append(
                f"AI_HEDGE_MODE={self.AI_HEDGE_MODE!r} is unknown; allowed values: {', '.join(HEDGE_MODES)}"
            )
        if self.AI_HEDGE_AFTER_MS is not None and self.AI_HEDGE_AFTER_MS <= 0:
            problems.append(
                f"AI_HEDGE_AFTER_MS={self.AI_HEDGE_AFTER_MS}: allowed values are > 0 ms, or unset"
            )
        if self.AI_HEDGE_MODE == "fixed" and self.AI_HEDGE_AFTER_MS is None:
            problems.append("AI_HEDGE_MODE='fixed' needs AI_HEDGE_AFTER_MS (milliseconds > 0)")
        if self.AI_HEDGE_MIN_MS < 0:
            problems.append(f"AI_HEDGE_MIN_MS={self.AI_HEDGE_MIN_MS}: allowed values are >= 0 ms")
        positive = (
            "AI_CIRCUIT_WINDOW_SECONDS", "AI_CIRCUIT_COOLDOWN_SECONDS",
            "AI_CIRCUIT_MAX_COOLDOWN_SECONDS", "AI_CIRCUIT_FATAL_COOLDOWN_SECONDS",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                problems.append(f"{name}={getattr(self, name)}: allowed values are > 0 seconds")
        for name in ("AI_CIRCUIT_MIN_FAILURES", "AI_CIRCUIT_HALF_OPEN_PROBES"):
            if getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)}: allowed values are integers >= 1")
        if not 0 < self.AI_CIRCUIT_FAILURE_RATIO <= 1:
            problems.append(
                f"AI_CIRCUIT_FAILURE_RATIO={self.AI_CIRCUIT_FAILURE_RATIO}: allowed values are 0 < x <= 1"
            )
        if not self.AI_STATE_KEY_PREFIX.strip():
            problems.append("AI_STATE_KEY_PREFIX is empty; allowed values: a non-empty key prefix")
        return problems

    @property
    def hedge_mode(self) -> str:
        """`AI_HEDGE_MODE` resolved: unset means fixed when `AI_HEDGE_AFTER_MS` is set, else off."""
        if self.AI_HEDGE_MODE is not None:
            return self.AI_HEDGE_MODE
        return "fixed" if self.AI_HEDGE_AFTER_MS is not None else "off"
