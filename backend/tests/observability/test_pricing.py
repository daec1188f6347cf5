"""Price table: lookups, overrides without code changes, and cost of real SDK usage."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from app.ai.providers.adapters.registry import default_prices
from app.ai.providers.assembly import build_price_table
from app.ai.providers.engine.call import CallState
from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.factory import get_llm_provider
from app.ai.providers.policies.pricing import PriceTable, PriceTableError, parse_prices
from app.core.config import ConfigError, Settings, load_settings


def test_dated_snapshots_resolve_to_their_family_by_longest_prefix() -> None:
    defaults = default_prices()
    table = PriceTable(defaults)
    assert table.price_of("claude-3-5-sonnet-20241022") == defaults["claude-3-5-sonnet"]
    assert table.price_of("gpt-4o-mini-2024-07-18") == defaults["gpt-4o-mini"]
    assert table.price_of("gpt-4o-2024-08-06") == defaults["gpt-4o"]
    assert table.price_of("claude-haiku-4-5-20251001") == defaults["claude-haiku-4-5"]
    assert table.price_of("mystery-model") is None
    assert table.cost_of("mystery-model", {"input_tokens": 10, "output_tokens": 10}) is None


def test_cost_prices_input_output_and_cache_reads_separately() -> None:
    table = PriceTable(default_prices())
    usage = {
        "input_tokens": 1_000_000,
        "output_tokens": 1_000_000,
        "input_token_details": {"cache_read": 400_000},
    }
    # gpt-4o: 600k fresh * 2.50 + 400k cached * 1.25 + 1M out * 10.00
    assert table.cost_of("gpt-4o", usage) == Decimal("1.5") + Decimal("0.5") + Decimal("10")
    # claude: cache writes at their own price
    claude = {
        "input_tokens": 2_000_000, "output_tokens": 0, "input_token_details": {"cache_creation": 1_000_000}
    }
    assert table.cost_of("claude-3-5-sonnet", claude) == Decimal("3") + Decimal("3.75")
    assert table.estimate("gpt-4o-mini", 1_000_000, 1_000_000) == Decimal("0.75")


def test_prices_are_overridden_from_the_environment_and_from_a_file(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    overrides = {"gpt-4o": {"input": 1, "output": 2}, "local-llm": {"input": 0, "output": 0}}
    prices.write_text(json.dumps(overrides))
    settings = load_settings(
        _env_file=None,
        AI_PRICES_FILE=str(prices),
        AI_PRICES=json.dumps({"gpt-4o": {"input": 5, "output": 6, "cached_input": 1}}),
    )
    table = build_price_table(settings)
    assert table.price_of("gpt-4o").input == Decimal(5)  # type: ignore[union-attr]  # env wins over file
    assert table.price_of("local-llm") is not None
    usage = {"input_tokens": 1_000_000, "output_tokens": 0}
    assert table.cost_of("gpt-4o", usage) == Decimal(5)
    assert table.cost_of("unpriced", usage) is None


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ([1, 2], "must be a JSON object"),
        ({"m": 3}, "must be an object with fields"),
        ({"m": {"input": 1}}, "needs 'input' and 'output'"),
        ({"m": {"input": 1, "output": -1}}, "non-negative"),
        ({"m": {"input": "x", "output": 1}}, "must be a number"),
        ({"m": {"input": True, "output": 1}}, "must be a number"),
    ],
)
def test_invalid_price_overrides_name_the_setting(payload: object, fragment: str) -> None:
    with pytest.raises(PriceTableError, match=fragment) as info:
        parse_prices(payload, "AI_PRICES")
    assert "AI_PRICES" in str(info.value)


def test_invalid_price_settings_fail_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AI_PRICES must be a JSON object"):
        load_settings(_env_file=None, AI_PRICES="not json")
    with pytest.raises(ConfigError, match="AI_PRICES_FILE="):
        load_settings(_env_file=None, AI_PRICES_FILE=str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="AI_PRICES_FILE"):
        build_price_table(load_settings(_env_file=None, AI_PRICES_FILE=str(broken)))
    with pytest.raises(ConfigError, match="AI_PRICES is not valid JSON"):
        build_price_table(Settings.model_construct(AI_PRICES="{", AI_PRICES_FILE=None))


def test_without_a_cost_meter_no_cost_is_attached() -> None:
    call = CallState(CallPolicy(prices=None), [], [HumanMessage("hi")])
    scope = call.attempt(get_llm_provider(settings=load_settings(
        _env_file=None, OPENAI_API_KEY="sk-test-openai")).members[0])
    assert call.succeeded(scope, {"input_tokens": 1, "output_tokens": 1})["cost_usd"] is None


@pytest.mark.parametrize("primary", ["openai", "anthropic"])
@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_cost_of_each_provider_is_computed_from_sdk_usage_and_attached(
    emulator_settings: Callable[..., Settings], primary: str, mode: str
) -> None:
    fallback = "anthropic" if primary == "openai" else "openai"
    settings = emulator_settings(AI_PROVIDER=primary, AI_FALLBACK_PROVIDER=fallback)
    model = get_llm_provider(settings=settings)
    prompt = [HumanMessage("Summarise this please tokens=40")]
    if mode == "invoke":
        answer = model.invoke(prompt)
        usage = answer.usage_metadata
        meta = answer.response_metadata["hybrid"]
    else:
        chunks = list(model.stream(prompt))
        total = chunks[0]
        for chunk in chunks[1:]:
            total = total + chunk
        usage = total.usage_metadata
        meta = total.response_metadata["hybrid"]
    assert usage is not None and usage["output_tokens"] >= 40
    expected = PriceTable(default_prices()).cost_of(meta["model"], usage)
    assert expected is not None and expected > 0
    assert meta["provider"] == primary
    assert meta["cost_usd"] == pytest.approx(float(expected))
