"""Prices and context windows declared by each adapter, merged by the registry.

They used to be two central tables (`pricing.DEFAULT_PRICES`,
`context_window.CONTEXT_WINDOWS`); the literals below are those tables, so moving the
rows into the adapter modules provably changed no lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

import pytest

from app.ai.providers.adapters.anthropic import AnthropicAdapter
from app.ai.providers.adapters.base import ProviderAdapter
from app.ai.providers.adapters.gemini import GeminiAdapter
from app.ai.providers.adapters.openai import OpenAIAdapter
from app.ai.providers.adapters.openai_compatible import OpenAICompatibleAdapter
from app.ai.providers.adapters.registry import (
    ADAPTERS,
    DECLARING,
    default_context_windows,
    default_prices,
)
from app.ai.providers.assembly import build_price_table, configured_windows, describe_configuration
from app.ai.providers.policies.context_window import ContextWindowGate, context_window
from app.ai.providers.policies.gates import build_gates
from app.ai.providers.policies.pricing import ModelPrice, PriceTable, list_price
from app.core.config import load_settings

#: (input, output, cached_input, cache_write), USD / 1M tokens, as the former table had them.
FORMER_PRICES: Mapping[str, tuple[str, str, str | None, str | None]] = {
    "gpt-4o": ("2.50", "10.00", "1.25", None),
    "gpt-4o-mini": ("0.15", "0.60", "0.075", None),
    "gpt-4.1": ("2.00", "8.00", "0.50", None),
    "gpt-4.1-mini": ("0.40", "1.60", "0.10", None),
    "gpt-4.1-nano": ("0.10", "0.40", "0.025", None),
    "gpt-5": ("1.25", "10.00", "0.125", None),
    "gpt-5-mini": ("0.25", "2.00", "0.025", None),
    "gpt-5-nano": ("0.05", "0.40", "0.005", None),
    "o4-mini": ("1.10", "4.40", "0.275", None),
    "o3": ("2.00", "8.00", "0.50", None),
    "gpt-4-turbo": ("10.00", "30.00", None, None),
    "gpt-3.5-turbo": ("0.50", "1.50", None, None),
    "claude-3-5-sonnet": ("3.00", "15.00", "0.30", "3.75"),
    "claude-3-7-sonnet": ("3.00", "15.00", "0.30", "3.75"),
    "claude-sonnet-4": ("3.00", "15.00", "0.30", "3.75"),
    "claude-3-5-haiku": ("0.80", "4.00", "0.08", "1.00"),
    "claude-haiku-4-5": ("1.00", "5.00", "0.10", "1.25"),
    "claude-3-haiku": ("0.25", "1.25", "0.03", "0.30"),
    "claude-3-opus": ("15.00", "75.00", "1.50", "18.75"),
    "claude-opus-4": ("15.00", "75.00", "1.50", "18.75"),
    "claude-opus-4-5": ("5.00", "25.00", "0.50", "6.25"),
}
FORMER_WINDOWS: Mapping[str, int] = {
    "gpt-5": 400_000, "gpt-4.1": 1_047_576, "gpt-4o": 128_000, "gpt-4o-mini": 128_000,
    "gpt-4-turbo": 128_000, "gpt-4-1106": 128_000, "gpt-4-0125": 128_000, "gpt-4-32k": 32_768,
    "gpt-4": 8_192, "gpt-3.5-turbo": 16_385, "o1": 200_000, "o1-mini": 128_000, "o3": 200_000,
    "o4-mini": 200_000,
    "claude-": 200_000,
    "gemini-1.5-pro": 2_097_152, "gemini-1.5-flash": 1_048_576, "gemini-2.0-flash": 1_048_576,
    "gemini-2.5-pro": 1_048_576, "gemini-2.5-flash": 1_048_576,
    "llama-3.1": 131_072, "llama-3.3": 131_072, "llama3.1": 131_072, "llama3.2": 131_072,
    "llama3.3": 131_072, "llama3": 8_192, "mixtral-8x7b": 32_768, "mistral": 32_768,
    "qwen2.5": 32_768, "gemma2": 8_192,
}


def _price(fields: tuple[str, str, str | None, str | None]) -> ModelPrice:
    inp, out, cached, write = fields
    return ModelPrice(
        Decimal(inp), Decimal(out), Decimal(cached) if cached else None, Decimal(write) if write else None
    )


def test_the_merged_prices_are_exactly_the_former_table() -> None:
    assert default_prices() == {model: _price(fields) for model, fields in FORMER_PRICES.items()}


def test_the_merged_context_windows_are_exactly_the_former_table() -> None:
    assert default_context_windows() == FORMER_WINDOWS


@pytest.mark.parametrize("model", sorted(FORMER_PRICES))
def test_every_former_price_resolves_the_same_through_the_assembled_table(model: str) -> None:
    table = build_price_table(load_settings(_env_file=None))
    assert table.price_of(model) == _price(FORMER_PRICES[model])


@pytest.mark.parametrize("prefix", sorted(FORMER_WINDOWS))
def test_every_former_window_resolves_the_same(prefix: str) -> None:
    assert context_window(prefix, default_context_windows()) == FORMER_WINDOWS[prefix]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", ("2.50", "10.00", "1.25", None)),
        ("gpt-4o-2024-08-06", ("2.50", "10.00", "1.25", None)),
        ("gpt-4o-mini-2024-07-18", ("0.15", "0.60", "0.075", None)),
        ("claude-3-5-sonnet-20241022", ("3.00", "15.00", "0.30", "3.75")),
        ("claude-haiku-4-5-20251001", ("1.00", "5.00", "0.10", "1.25")),
        ("claude-opus-4-5-20251101", ("5.00", "25.00", "0.50", "6.25")),
        ("o3-2025-04-16", ("2.00", "8.00", "0.50", None)),
    ],
)
def test_models_resolve_to_their_list_price(model: str, expected: tuple[str, str, str | None, str | None]) -> None:
    price = PriceTable(default_prices()).price_of(model)
    assert price is not None
    inp, out, cached, write = expected
    assert (price.input, price.output) == (Decimal(inp), Decimal(out))
    assert price.cached_input == (Decimal(cached) if cached else None)
    assert price.cache_write == (Decimal(write) if write else None)


def test_gemini_and_open_models_stay_unpriced() -> None:
    table = PriceTable(default_prices())
    for model in ("gemini-2.5-flash", "gemini-1.5-pro", "llama-3.1-8b-instant", "qwen2.5:7b"):
        assert table.price_of(model) is None


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("gpt-4o", 128_000),
        ("gpt-4-0613", 8_192),
        ("gpt-4.1-mini", 1_047_576),
        ("o1-mini-2024-09-12", 128_000),
        ("claude-sonnet-4-5-20250929", 200_000),
        ("gemini-2.5-pro", 1_048_576),
        ("gemini-1.5-flash-002", 1_048_576),
        ("models/gemini-1.5-pro", 2_097_152),
        ("llama-3.3-70b-versatile", 131_072),
        ("qwen2.5:7b", 32_768),
        ("gemma2:9b", 8_192),
    ],
)
def test_models_resolve_to_their_context_window(model: str, window: int) -> None:
    assert context_window(model, default_context_windows()) == window


def test_each_provider_declares_its_own_models_only() -> None:
    assert set(DECLARING) == {*(type(a) for a in ADAPTERS.values()), OpenAICompatibleAdapter}
    for adapter in ADAPTERS.values():
        for key in (*adapter.prices, *adapter.context_windows):
            assert key == key.lower() and adapter.serves_model(key), (adapter.name, key)
    assert set(OpenAIAdapter.prices) | set(AnthropicAdapter.prices) == set(FORMER_PRICES)
    assert dict(GeminiAdapter.prices) == {}
    # Not inherited from OpenAI: a self-hosted model has no list price.
    assert dict(OpenAICompatibleAdapter("ollama").prices) == {}
    assert not set(OpenAICompatibleAdapter.context_windows) & set(OpenAIAdapter.context_windows)


def test_declarations_are_read_only() -> None:
    with pytest.raises(TypeError):
        OpenAIAdapter.prices["gpt-4o"] = list_price("0", "0")  # type: ignore[index]
    assert default_prices() is not default_prices()  # callers may extend their copy


class _Cheap(OpenAIAdapter):
    prices = MappingProxyType({"gpt-4o": list_price("1.00", "2.00"), "cheap-1": list_price("1", "1")})
    context_windows = MappingProxyType({"cheap-1": 4_096})


class _SameWindow(OpenAIAdapter):
    prices = MappingProxyType({})
    context_windows = MappingProxyType({"cheap-1": 4_096})


def test_two_adapters_declaring_one_model_differently_is_an_error() -> None:
    adapters: tuple[type[ProviderAdapter], ...] = (OpenAIAdapter, _Cheap)
    with pytest.raises(ValueError, match="price of 'gpt-4o' declared differently by OpenAIAdapter and _Cheap"):
        default_prices(adapters)
    # The same value twice is fine.
    assert default_context_windows((_Cheap, _SameWindow)) == {"cheap-1": 4_096}


def test_the_assembled_gates_and_status_use_the_declared_windows() -> None:
    settings = load_settings(
        _env_file=None, AI_PROVIDER="openai", AI_FALLBACK_PROVIDER="anthropic,gemini",
        OPENAI_MODEL="gpt-4o", ANTHROPIC_MODEL="claude-3-5-sonnet-20241022", GEMINI_MODEL="gemini-2.5-flash",
    )
    assert configured_windows(settings) == {"openai": 128_000, "anthropic": 200_000, "gemini": 1_048_576}
    providers = describe_configuration(settings)["providers"]
    assert {name: p["context_window"] for name, p in providers.items()} == {
        "openai": 128_000, "anthropic": 200_000, "gemini": 1_048_576,
    }
    gate = build_gates(None, {}, default_context_windows())[-1]
    assert isinstance(gate, ContextWindowGate) and gate.table == FORMER_WINDOWS
