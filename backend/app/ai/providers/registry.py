"""The provider registry: adding a provider is one module that calls `register`."""

from __future__ import annotations

from app.ai.providers.base import ProviderAdapter

_ADAPTERS: dict[str, ProviderAdapter] = {}


def register(adapter: ProviderAdapter) -> ProviderAdapter:
    """Make `adapter` available under `adapter.name` (re-registering replaces it)."""
    _ADAPTERS[adapter.name] = adapter
    return adapter


def get_adapter(name: str) -> ProviderAdapter:
    try:
        return _ADAPTERS[name]
    except KeyError:
        allowed = ", ".join(sorted(_ADAPTERS))
        raise ValueError(f"Unknown provider {name!r}; allowed values: {allowed}") from None


def registered() -> tuple[str, ...]:
    return tuple(_ADAPTERS)
