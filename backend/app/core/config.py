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
