"""Price lookups per model, and the cost of one call from its reported usage.

This module is the machinery only: `ModelPrice`, `parse_prices` for overrides and
`PriceTable` with its longest-prefix lookup. The list prices themselves are declared by
each provider's adapter (`ProviderAdapter.prices`, e.g. `adapters/openai.py`), because a
provider is one module: adding one, or updating its prices, touches that module and no
central table. `adapters/registry.default_prices()` merges the declarations.

Why declared prices plus overrides: list prices change a few times a year and
negotiated prices differ per contract, so operators replace or extend entries
from a JSON file (`AI_PRICES_FILE`) or the environment (`AI_PRICES`) without a
release (`assembly.build_price_table` reads them; the runtime owns the table).
Prices are USD per million tokens; money is `Decimal` so that summing
thousands of tiny costs does not drift.

Override format (file or env), merged over the declared prices::

    {"gpt-4o": {"input": 2.5, "output": 10, "cached_input": 1.25}}
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

logger = logging.getLogger("app.ai.providers")

_MILLION = Decimal(1_000_000)
PRICE_FIELDS = ("input", "output", "cached_input", "cache_write")


class PriceTableError(ValueError):
    """An override is not a valid price entry; the message names the setting it came from.

    `assembly.py` turns it into the start-up `ConfigError`.
    """


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """USD per million tokens; `cached_input` is the cache-read price where offered."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None

    def as_dict(self) -> dict[str, float]:
        values = {name: getattr(self, name) for name in PRICE_FIELDS}
        return {k: float(v) for k, v in values.items() if v is not None}


def list_price(
    input: str, output: str, cached_input: str | None = None, cache_write: str | None = None
) -> ModelPrice:
    """A `ModelPrice` from decimal strings, as the adapters declare their list prices."""
    return ModelPrice(
        Decimal(input), Decimal(output),
        Decimal(cached_input) if cached_input else None, Decimal(cache_write) if cache_write else None,
    )


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PriceTableError(f"{where} must be a number of USD per million tokens, got {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise PriceTableError(f"{where} must be a number of USD per million tokens, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise PriceTableError(f"{where} must be a non-negative number, got {value!r}")
    return number


def parse_prices(data: Any, source: str) -> dict[str, ModelPrice]:
    """Validate an override mapping; `source` names the setting in error messages."""
    if not isinstance(data, Mapping):
        raise PriceTableError(f"{source} must be a JSON object of model -> prices, got {type(data).__name__}")
    prices: dict[str, ModelPrice] = {}
    for model, entry in data.items():
        if not isinstance(entry, Mapping):
            raise PriceTableError(
                f"{source}[{model!r}] must be an object with fields {', '.join(PRICE_FIELDS)}"
            )
        unknown = set(entry) - set(PRICE_FIELDS)
        if unknown or "input" not in entry or "output" not in entry:
            raise PriceTableError(
                f"{source}[{model!r}] needs 'input' and 'output' and accepts only "
                f"{', '.join(PRICE_FIELDS)} (got {', '.join(sorted(entry))})"
            )
        fields = {k: _decimal(v, f"{source}[{model!r}].{k}") for k, v in entry.items()}
        prices[str(model).lower()] = ModelPrice(**fields)
    return prices


class PriceTable:
    """Model prices with longest-prefix lookup."""

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self._prices = dict(prices)
        self._by_length = sorted(self._prices, key=len, reverse=True)
        self._unknown_logged: set[str] = set()
        self._lock = threading.Lock()

    def price_of(self, model: str | None) -> ModelPrice | None:
        """The entry for `model` (exact, else longest prefix), None when unknown."""
        if not model:
            return None
        name = model.lower()
        if name in self._prices:
            return self._prices[name]
        for key in self._by_length:
            if name.startswith(key):
                return self._prices[key]
        with self._lock:
            if name not in self._unknown_logged:
                self._unknown_logged.add(name)
                logger.warning("no price known for model %s; its calls are costed at 0", model)
        return None

    def cost_of(self, model: str | None, usage: Mapping[str, Any] | None) -> Decimal | None:
        """USD cost of one answer from LangChain `usage_metadata`; None when unpriced.

        `input_tokens` includes cached tokens for both providers as LangChain reports
        them, so cache reads and writes are taken out and priced at their own rates.
        """
        price = self.price_of(model)
        if price is None or not usage:
            return None
        details = usage.get("input_token_details") or {}
        cache_read = int(details.get("cache_read") or 0)
        cache_write = int(details.get("cache_creation") or 0)
        input_tokens = int(usage.get("input_tokens") or 0)
        output_tokens = int(usage.get("output_tokens") or 0)
        fresh = max(input_tokens - cache_read - cache_write, 0)
        total = (
            fresh * price.input
            + cache_read * (price.cached_input if price.cached_input is not None else price.input)
            + cache_write * (price.cache_write if price.cache_write is not None else price.input)
            + output_tokens * price.output
        )
        return total / _MILLION

    def estimate(self, model: str | None, input_tokens: int, output_tokens: int) -> Decimal | None:
        """Expected cost of a call of this size (no caching assumed), None when unpriced."""
        return self.cost_of(model, {"input_tokens": input_tokens, "output_tokens": output_tokens})

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {model: price.as_dict() for model, price in sorted(self._prices.items())}


def token_counts(usage: Mapping[str, Any] | None) -> dict[str, int]:
    """Input (all of it), output, cache-read and cache-write tokens of LangChain `usage_metadata`.

    LangChain normalises both providers (`cache_read_input_tokens` /
    `cache_creation_input_tokens`, `prompt_tokens_details.cached_tokens`) into
    `input_token_details`, so no provider's raw usage is parsed here.
    """
    usage = usage or {}
    details = usage.get("input_token_details") or {}
    return {
        "input_tokens": int(usage.get("input_tokens") or 0),
        "output_tokens": int(usage.get("output_tokens") or 0),
        "cache_read_tokens": int(details.get("cache_read") or 0),
        "cache_write_tokens": int(details.get("cache_creation") or 0),
    }
