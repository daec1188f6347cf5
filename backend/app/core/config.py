"""Application settings, read once from the environment and `.env`.

The names and defaults of the AI settings are the product brief's contract
(`AI_PROVIDER`, `AI_FALLBACK_ENABLED`, ...): deployments already use them.
Invalid values stop start-up with a message that names the setting and the
values it accepts, so a typo in an environment variable never turns into a
confusing failure at the first AI call.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Providers the factory knows how to build. Kept here (not imported from the
#: provider registry) because `core` must not depend on `ai`.
KNOWN_PROVIDERS: tuple[str, ...] = ("openai", "anthropic")


#: Values of `AI_HEDGE_MODE` (implemented in `app.ai.providers.hedging`).
HEDGE_MODES: tuple[str, ...] = ("off", "fixed", "adaptive")


class ConfigError(ValueError):
    """Raised at start-up when a setting has a value the service cannot run with."""


class Settings(BaseSettings):
    """Every setting of the service; see README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    # --- AI providers (the brief's names and defaults) -----------------------
    AI_PROVIDER: str = "openai"
    AI_FALLBACK_ENABLED: bool = True
    AI_FALLBACK_PROVIDER: str | None = "anthropic"

    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_MODEL: str = "gpt-4o"
    OPENAI_BASE_URL: str | None = None

    ANTHROPIC_API_KEY: SecretStr | None = None
    ANTHROPIC_MODEL: str = "claude-3-5-sonnet-20241022"
    ANTHROPIC_BASE_URL: str | None = None

    AI_REQUEST_TIMEOUT: float = Field(default=60.0, description="Seconds per provider attempt.")
    AI_REQUEST_DEADLINE: float = Field(
        default=120.0, description="Seconds for a whole call: retries and failover included."
    )
    AI_MAX_RETRIES: int = Field(default=2, description="Retries on one provider.")
    AI_TEMPERATURE: float = 0.3

    # --- Application ---------------------------------------------------------
    PROJECT_NAME: str = "Tandem"
    API_V1_STR: str = "/api/v1"
    DATABASE_URL: str = "sqlite:///./tandem.db"
    LOG_LEVEL: str = "INFO"

    # --- Resilience (issue 4) ---
    # AI_STATE_REDIS_URL (declared with the issue 5 settings) also shares circuit state.
    AI_STATE_KEY_PREFIX: str = Field(
        default="tandem:ai", description="Prefix of the Redis keys holding shared AI state."
    )
    AI_CIRCUIT_ENABLED: bool = Field(default=True, description="Per-provider circuit breakers.")
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
        default=10.0, description="Seconds open before half-open, unless the provider sent retry-after."
    )
    AI_CIRCUIT_MAX_COOLDOWN_SECONDS: float = Field(
        default=120.0, description="Cap on a retry-after-driven cooldown."
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

    # --- Data limits (requests over them get a 413 naming the setting) -------
    MAX_DOCUMENT_CHARS: int = Field(default=200_000, ge=1, description="Longest document body.")
    MAX_RESUME_CHARS: int = Field(default=50_000, ge=1, description="Longest candidate resume_text.")
    MAX_IMPORT_ITEMS: int = Field(default=1_000, ge=1, description="Most items in one bulk import.")
    MAX_REQUEST_BYTES: int = Field(
        default=50_000_000, ge=1, description="Largest request body the data routes read."
    )

    @field_validator("AI_PROVIDER", mode="before")
    @classmethod
    def _normalise_primary(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("AI_FALLBACK_PROVIDER", mode="before")
    @classmethod
    def _normalise_fallback(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @field_validator("OPENAI_API_KEY", "ANTHROPIC_API_KEY", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_ai_settings(self) -> Settings:
        problems: list[str] = []
        allowed = ", ".join(KNOWN_PROVIDERS)
        if self.AI_PROVIDER not in KNOWN_PROVIDERS:
            problems.append(
                f"AI_PROVIDER={self.AI_PROVIDER!r} is not a known provider; allowed values: {allowed}"
            )
        if self.AI_FALLBACK_PROVIDER is not None:
            if self.AI_FALLBACK_PROVIDER not in KNOWN_PROVIDERS:
                problems.append(
                    f"AI_FALLBACK_PROVIDER={self.AI_FALLBACK_PROVIDER!r} is not a known provider; "
                    f"allowed values: {allowed}, or empty to disable fallback"
                )
            elif self.AI_FALLBACK_PROVIDER == self.AI_PROVIDER:
                problems.append(
                    f"AI_FALLBACK_PROVIDER={self.AI_FALLBACK_PROVIDER!r} equals AI_PROVIDER; "
                    f"allowed values: a provider other than {self.AI_PROVIDER!r} "
                    f"({allowed}), or empty to disable fallback"
                )
        if self.AI_REQUEST_TIMEOUT <= 0:
            problems.append(
                f"AI_REQUEST_TIMEOUT={self.AI_REQUEST_TIMEOUT} must be a positive number of seconds"
            )
        if self.AI_REQUEST_DEADLINE < self.AI_REQUEST_TIMEOUT:
            problems.append(
                f"AI_REQUEST_DEADLINE={self.AI_REQUEST_DEADLINE} must be at least "
                f"AI_REQUEST_TIMEOUT ({self.AI_REQUEST_TIMEOUT}) seconds"
            )
        if self.AI_MAX_RETRIES < 0:
            problems.append(f"AI_MAX_RETRIES={self.AI_MAX_RETRIES} must be 0 or more")
        if not 0 <= self.AI_TEMPERATURE <= 2:
            problems.append(f"AI_TEMPERATURE={self.AI_TEMPERATURE} must be between 0 and 2")
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_resilience_settings(self) -> Settings:
        problems: list[str] = []
        if self.AI_HEDGE_MODE is not None and self.AI_HEDGE_MODE not in HEDGE_MODES:
            problems.append(
                f"AI_HEDGE_MODE={self.AI_HEDGE_MODE!r} is unknown; allowed values: {', '.join(HEDGE_MODES)}"
            )
        if self.AI_HEDGE_AFTER_MS is not None and self.AI_HEDGE_AFTER_MS <= 0:
            problems.append(f"AI_HEDGE_AFTER_MS={self.AI_HEDGE_AFTER_MS}: allowed values are > 0 ms, or unset")
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
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    @property
    def hedge_mode(self) -> str:
        """`AI_HEDGE_MODE` resolved: unset means fixed when `AI_HEDGE_AFTER_MS` is set, else off."""
        if self.AI_HEDGE_MODE is not None:
            return self.AI_HEDGE_MODE
        return "fixed" if self.AI_HEDGE_AFTER_MS is not None else "off"

    @property
    def fallback_provider(self) -> str | None:
        """The secondary provider, or None when fallback is switched off."""
        return self.AI_FALLBACK_PROVIDER if self.AI_FALLBACK_ENABLED else None

    def api_key(self, provider: str) -> SecretStr | None:
        """The key configured for `provider` (None when absent)."""
        value = getattr(self, f"{provider.upper()}_API_KEY", None)
        return value if isinstance(value, SecretStr) else None


def _format_validation_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name != "settings" else message)
    return "Invalid configuration: " + "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's report into one readable start-up error."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own with `load_settings`)."""
    return load_settings()


class _LazySettings:
    """`settings` proxy so that importing this module never fails on a bad environment.

    The brief imports `app.core.config.settings`; resolving it lazily keeps that name
    while letting the CLI and tests report a configuration error cleanly.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(get_settings(), name)

    def __repr__(self) -> str:
        return repr(get_settings())


settings: Settings = _LazySettings()  # type: ignore[assignment]
