"""Application settings, read once from the environment and `.env`.

The names and defaults of the AI settings are the product brief's contract
(`AI_PROVIDER`, `AI_FALLBACK_ENABLED`, ...): deployments already use them.
Invalid values stop start-up with a message that names the setting and the
values it accepts, so a typo in an environment variable never turns into a
confusing failure at the first AI call.

Each concern declares its fields and validators in its own module under
`app.core.settings`; `Settings` only composes them (flat names, one environment).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.settings.application import ApplicationSettings
from app.core.settings.cost import CostSettings
from app.core.settings.errors import ConfigError
from app.core.settings.features import FeatureSettings
from app.core.settings.providers import KNOWN_PROVIDERS, OpenAICompatibleEndpoint, ProviderSettings
from app.core.settings.resilience import HEDGE_MODES, ResilienceSettings
from app.core.settings.routing import ROUTING_STRATEGIES, RoutingSettings
from app.core.settings.security import AUTH_MODES, SecuritySettings

__all__ = [
    "AUTH_MODES",
    "HEDGE_MODES",
    "KNOWN_PROVIDERS",
    "ROUTING_STRATEGIES",
    "ConfigError",
    "OpenAICompatibleEndpoint",
    "Settings",
    "get_settings",
    "load_settings",
    "settings",
]


class Settings(
    ProviderSettings,
    ResilienceSettings,
    RoutingSettings,
    CostSettings,
    SecuritySettings,
    FeatureSettings,
    ApplicationSettings,
    BaseSettings,
):
    """Every setting of the service; see README's configuration table and `app.core.settings`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True
    )

    @model_validator(mode="after")
    def _check_every_concern(self) -> Settings:
        """Every concern's problems at once, so one start-up names all that is wrong."""
        problems: list[str] = []
        for concern in _CONCERNS:
            problems.extend(concern.problems(self))
        if problems:
            raise ConfigError("; ".join(problems))
        return self


#: The concerns whose cross-field checks `Settings` runs, in the order they are reported.
_CONCERNS = (ProviderSettings, ResilienceSettings, RoutingSettings, CostSettings)


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
