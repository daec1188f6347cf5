"""The one start-up error every settings module raises."""


class ConfigError(ValueError):
    """Raised at start-up when a setting has a value the service cannot run with."""

