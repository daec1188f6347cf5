"""The provider registry: every adapter, by the name `AI_PROVIDER` uses.

A constant, built once at import from the adapter modules' `ADAPTER` objects: adding a
provider is its adapter module plus one entry here (no side-effect imports).
`AI_OPENAI_COMPATIBLE` instances are not registered; `assembly.py` builds their adapters
from the settings.

The registry also merges what the adapters declare about their models -- list prices
and context windows -- into the default tables (`default_prices`,
`default_context_windows`). Why here and not in a central table: each provider's data
lives in its own adapter module, so adding or updating a provider touches that module
alone, and the policy modules (`policies/pricing.py`, `policies/context_window.py`)
keep only the machinery and never import a provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TypeVar

from app.ai.providers.adapters import anthropic, gemini, openai
from app.ai.providers.adapters.base import ProviderAdapter
from app.ai.providers.adapters.openai_compatible import OpenAICompatibleAdapter
from app.ai.providers.policies.pricing import ModelPrice

ADAPTERS: Mapping[str, ProviderAdapter] = MappingProxyType(
    {adapter.name: adapter for adapter in (openai.ADAPTER, anthropic.ADAPTER, gemini.ADAPTER)}
)
#: Every adapter type whose model declarations make up the defaults: the registered
#: providers and the OpenAI-compatible type (its instances come from the settings).
DECLARING: tuple[type[ProviderAdapter], ...] = (
    *(type(adapter) for adapter in ADAPTERS.values()),
    OpenAICompatibleAdapter,
)

_V = TypeVar("_V")


def get_adapter(name: str) -> ProviderAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        allowed = ", ".join(sorted(ADAPTERS))
        raise ValueError(f"Unknown provider {name!r}; allowed values: {allowed}") from None


def registered() -> tuple[str, ...]:
    return tuple(ADAPTERS)


def _merged(
    adapters: Iterable[type[ProviderAdapter]],
    what: str,
    declared: Callable[[type[ProviderAdapter]], Mapping[str, _V]],
) -> dict[str, _V]:
    """Every adapter's `declared` entries in one table.

    Two adapters giving one model prefix different values is a mistake in the code (the
    result would depend on the registry's order), so it fails loudly instead.
    """
    merged: dict[str, _V] = {}
    owner: dict[str, str] = {}
    for adapter in adapters:
        for key, value in declared(adapter).items():
            if key in merged and merged[key] != value:
                raise ValueError(
                    f"{what} of {key!r} declared differently by {owner[key]} and {adapter.__name__}"
                )
            merged.setdefault(key, value)
            owner.setdefault(key, adapter.__name__)
    return merged


def default_prices(adapters: Iterable[type[ProviderAdapter]] = DECLARING) -> dict[str, ModelPrice]:
    """List prices the adapters declare, by model-name prefix (before any `AI_PRICES`
    override; `assembly.build_price_table` applies those). A new dict on every call."""
    return _merged(adapters, "price", lambda adapter: adapter.prices)


def default_context_windows(adapters: Iterable[type[ProviderAdapter]] = DECLARING) -> dict[str, int]:
    """Context windows the adapters declare, by model-name prefix. A new dict on every call."""
    return _merged(adapters, "context window", lambda adapter: adapter.context_windows)
