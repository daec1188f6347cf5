"""The provider registry: every adapter, by the name `AI_PROVIDER` uses.

A constant, built once at import from the adapter modules' `ADAPTER` objects: adding a
provider is its adapter module plus one entry here (no side-effect imports).
`AI_OPENAI_COMPATIBLE` instances are not registered; `assembly.py` builds their adapters
from the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from app.ai.providers.adapters import anthropic, gemini, openai
from app.ai.providers.adapters.base import ProviderAdapter

ADAPTERS: Mapping[str, ProviderAdapter] = MappingProxyType(
    {adapter.name: adapter for adapter in (openai.ADAPTER, anthropic.ADAPTER, gemini.ADAPTER)}
)


def get_adapter(name: str) -> ProviderAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        allowed = ", ".join(sorted(ADAPTERS))
        raise ValueError(f"Unknown provider {name!r}; allowed values: {allowed}") from None


def registered() -> tuple[str, ...]:
    return tuple(ADAPTERS)
