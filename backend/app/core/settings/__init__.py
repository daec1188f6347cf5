"""The service's settings, one module per concern.

Each module declares one mixin of fields with the validators that check them, so a
setting, its default and its allowed values are read in one place. `app.core.config`
composes them into `Settings`; every environment name stays flat (`AI_PROVIDER`, not
`PROVIDERS__AI_PROVIDER`): the brief's names are a contract deployments rely on.
"""

from app.core.settings.errors import ConfigError

__all__ = ["ConfigError"]
