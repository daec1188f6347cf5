"""Assembly: the one module of `app.ai.providers` that reads `app.core` settings.

It turns `Settings` into the library's settings-free pieces -- adapter configs, the
call policy, the state stores, the routing strategy, the gates -- and builds one
`AIRuntime` per application from them (`build_runtime`). Everything else in the
package receives plain values, so it can be built and tested without settings.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.ai.providers.adapters.base import Member, ProviderAdapter, ProviderConfig
from app.ai.providers.adapters.openai_compatible import PLACEHOLDER_KEY, OpenAICompatibleAdapter
from app.ai.providers.adapters.registry import (
    default_context_windows,
    default_prices,
    get_adapter,
    registered,
)
from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.engine.policy import CallPolicy, Observers
from app.ai.providers.policies.budget import PERIODS, BudgetTracker, RedisSpendStore
from app.ai.providers.policies.circuit import CircuitBreaker
from app.ai.providers.policies.context_window import context_window
from app.ai.providers.policies.gates import build_gates
from app.ai.providers.policies.health import HealthStats
from app.ai.providers.policies.hedge import HedgePolicy
from app.ai.providers.policies.pricing import PriceTable, PriceTableError, parse_prices
from app.ai.providers.policies.redis_store import build_store
from app.ai.providers.policies.state_store import CircuitPolicy, StateStore
from app.ai.providers.policies.strategies import STRATEGIES, LatencyTracker, RoutingOptions, make_strategy
from app.ai.providers.runtime import AIRuntime
from app.core.config import KNOWN_PROVIDERS, ROUTING_STRATEGIES, ConfigError, Settings, get_settings

logger = logging.getLogger("app.ai.providers")

# -- providers ----------------------------------------------------------------


def provider_order(settings: Settings, fallback: bool | None = None) -> list[str]:
    """Providers a call may use, in priority order: the primary, then the fallback chain
    (`AI_FALLBACK_PROVIDER`, comma-separated, tried in order) when fallback is enabled."""
    enabled = settings.AI_FALLBACK_ENABLED if fallback is None else fallback
    order = [settings.AI_PROVIDER]
    if enabled:
        order.extend(name for name in settings.fallback_providers if name not in order)
    return order


def check_registry() -> None:
    """Start-up check of what `core` (which may not import `ai`) and this library each
    declare: every provider `core` knows of has an adapter, every adapter's settings
    exist, and `AI_ROUTING_STRATEGY`'s allowed values are the strategy table's names."""
    missing = [name for name in KNOWN_PROVIDERS if name not in registered()]
    unknown = [name for name in registered() if name not in KNOWN_PROVIDERS]
    if missing or unknown:
        raise ConfigError(
            f"Settings know providers {', '.join(KNOWN_PROVIDERS)} but the registry has "
            f"{', '.join(registered())}; add the adapter or its settings"
        )
    if tuple(STRATEGIES) != ROUTING_STRATEGIES:
        raise ConfigError(
            f"AI_ROUTING_STRATEGY accepts {', '.join(ROUTING_STRATEGIES)} but the strategy table "
            f"implements {', '.join(STRATEGIES)}"
        )
    fields = Settings.model_fields
    for name in registered():
        declared = get_adapter(name).settings
        undeclared = [s for s in (*declared.names, *declared.options.values()) if s not in fields]
        if undeclared:
            raise ConfigError(f"provider {name!r} reads setting(s) {', '.join(undeclared)} that do not exist")


def adapter_for(name: str, settings: Settings) -> ProviderAdapter:
    """The adapter serving `name`: an `AI_OPENAI_COMPATIBLE` instance or a registered provider."""
    check_registry()
    if settings.openai_compatible(name) is not None:
        endpoint = settings.openai_compatible(name)
        return OpenAICompatibleAdapter(name, supports_prefill=bool(endpoint and endpoint.supports_prefill))
    try:
        return get_adapter(name)
    except ValueError:
        raise ConfigError(
            f"AI_PROVIDER/AI_FALLBACK_PROVIDER name {name!r} is not a provider; "
            f"allowed values: {', '.join(settings.provider_names())}"
        ) from None


def provider_config(name: str, adapter: ProviderAdapter, settings: Settings) -> ProviderConfig:
    """The values `adapter` is built from, read from the settings it declares."""
    common: dict[str, Any] = {"temperature": settings.AI_TEMPERATURE, "timeout": settings.AI_REQUEST_TIMEOUT}
    endpoint = settings.openai_compatible(name)
    if endpoint is not None:
        return ProviderConfig(
            endpoint.model, endpoint.api_key or PLACEHOLDER_KEY, endpoint.base_url,
            context_window=endpoint.context_window, **common,
        )
    declared = adapter.settings
    return ProviderConfig(
        str(getattr(settings, declared.model)),
        getattr(settings, declared.api_key, None),
        getattr(settings, declared.base_url, None),
        options={option: getattr(settings, name) for option, name in declared.options.items()},
        **common,
    )


def configured_windows(
    settings: Settings, table: Mapping[str, int] | None = None
) -> dict[str, int | None]:
    """Window of every provider the settings may route to (None when unknown): the one
    an `AI_OPENAI_COMPATIBLE` instance declares, else its model's in `table` (the
    adapters' merged declarations unless the caller already has them)."""
    table = default_context_windows() if table is None else table
    windows: dict[str, int | None] = {}
    chain = settings.fallback_providers if settings.AI_FALLBACK_ENABLED else ()
    for name in dict.fromkeys([settings.AI_PROVIDER, *chain]):
        config = provider_config(name, adapter_for(name, settings), settings)
        windows[name] = config.context_window or context_window(config.model, table)
    return windows


def build_member(name: str, settings: Settings) -> Member:
    """One provider ready to serve calls, built from the settings it declares."""
    adapter = adapter_for(name, settings)
    return Member(name, adapter.build(provider_config(name, adapter, settings)), adapter)


def _members(
    settings: Settings, order: list[str], built: dict[str, Member]
) -> tuple[list[Member], list[str]]:
    members: list[Member] = []
    missing: list[str] = []
    unconfigured: list[str] = []
    for name in order:
        adapter = adapter_for(name, settings)
        config = provider_config(name, adapter, settings)
        if adapter.is_configured(config):
            if name not in built:
                built[name] = Member(name, adapter.build(config), adapter)
            members.append(built[name])
        else:
            unconfigured.append(name)
            missing.extend(adapter.required_settings)
    return members, missing


# -- policies -----------------------------------------------------------------


def build_price_table(settings: Settings) -> PriceTable:
    """The adapters' declared list prices, then `AI_PRICES_FILE`, then `AI_PRICES` (last wins)."""
    prices = default_prices()
    try:
        path = settings.AI_PRICES_FILE
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
                prices.update(parse_prices(json.loads(text), "AI_PRICES_FILE"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"AI_PRICES_FILE={path!r} is not a readable JSON file: {exc}") from None
        if settings.AI_PRICES:
            try:
                prices.update(parse_prices(json.loads(settings.AI_PRICES), "AI_PRICES"))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"AI_PRICES is not valid JSON: {exc}") from None
    except PriceTableError as error:
        raise ConfigError(str(error)) from None
    return PriceTable(prices)


def configured_budgets(settings: Settings) -> list[tuple[str, str, float]]:
    """(provider, period, USD) of every `AI_BUDGET_<PROVIDER>_<DAILY|MONTHLY>_USD` that is set."""
    return settings.budgets()


def build_budgets(settings: Settings) -> BudgetTracker:
    """Spend tracking (always on, for status and metrics) with the configured limits."""
    limits: dict[str, dict[str, float]] = {}
    for provider, period, value in configured_budgets(settings):
        assert period in PERIODS
        limits.setdefault(provider, {})[period] = value
    url = settings.AI_STATE_REDIS_URL
    return BudgetTracker(limits, RedisSpendStore(url) if url else None)


def build_state_store(settings: Settings) -> StateStore:
    """Circuit state: in Redis when `AI_STATE_REDIS_URL` is set, else in this process."""
    url = settings.AI_STATE_REDIS_URL
    return build_store(url, settings.AI_STATE_KEY_PREFIX) if url else build_store(None)


def build_circuit_breaker(settings: Settings, stats: HealthStats | None = None) -> CircuitBreaker:
    """A breaker from the `AI_CIRCUIT_*` settings, feeding `stats`."""
    policy = CircuitPolicy(
        window_seconds=settings.AI_CIRCUIT_WINDOW_SECONDS,
        min_failures=settings.AI_CIRCUIT_MIN_FAILURES,
        failure_ratio=settings.AI_CIRCUIT_FAILURE_RATIO,
        half_open_probes=settings.AI_CIRCUIT_HALF_OPEN_PROBES,
        probe_ttl_seconds=max(settings.AI_REQUEST_TIMEOUT, 1.0),
    )
    return CircuitBreaker(
        build_state_store(settings),
        stats or HealthStats(),
        policy=policy,
        cooldown=settings.AI_CIRCUIT_COOLDOWN_SECONDS,
        max_cooldown=settings.AI_CIRCUIT_MAX_COOLDOWN_SECONDS,
        fatal_cooldown=settings.AI_CIRCUIT_FATAL_COOLDOWN_SECONDS,
    )


def build_hedge_policy(settings: Settings) -> HedgePolicy:
    """The policy `AI_HEDGE_MODE` / `AI_HEDGE_AFTER_MS` / `AI_HEDGE_MIN_MS` ask for."""
    return HedgePolicy(settings.hedge_mode, settings.AI_HEDGE_AFTER_MS, settings.AI_HEDGE_MIN_MS)


def routing_options(settings: Settings) -> RoutingOptions:
    """The routing settings, checked against the strategy table."""
    name = settings.AI_ROUTING_STRATEGY
    if name not in STRATEGIES:
        raise ConfigError(f"AI_ROUTING_STRATEGY={name!r}: allowed values: {', '.join(STRATEGIES)}")
    return RoutingOptions(
        name=name,
        weights=settings.routing_weights,
        ab_split=settings.ab_split,
        ab_experiment=settings.AI_AB_EXPERIMENT,
        cost_output_tokens=settings.AI_COST_OUTPUT_TOKENS,
        latency_decay=settings.AI_LATENCY_DECAY,
    )


# -- the runtime ----------------------------------------------------------------


def build_runtime(settings: Settings | None = None) -> AIRuntime:
    """The provider layer of one application, from `settings` (the process-wide ones by default)."""
    settings = settings or get_settings()
    built: dict[str, Member] = {}
    members, missing = _members(settings, provider_order(settings, True), built)
    primary, primary_missing = _members(settings, provider_order(settings, False), built)
    serving = members if settings.AI_FALLBACK_ENABLED else primary
    if serving and (missing if settings.AI_FALLBACK_ENABLED else primary_missing):
        unconfigured = [n for n in provider_order(settings) if n not in built]
        logger.warning(
            "AI provider %s is not configured (%s unset); calls are served by %s",
            ", ".join(unconfigured),
            ", ".join(missing if settings.AI_FALLBACK_ENABLED else primary_missing),
            ", ".join(m.name for m in serving),
        )
    stats = HealthStats()
    breaker = build_circuit_breaker(settings, stats) if settings.AI_CIRCUIT_ENABLED else None
    routing = routing_options(settings)
    latency = LatencyTracker(routing.latency_decay)
    prices = build_price_table(settings)
    windows = default_context_windows()
    budgets = build_budgets(settings)
    policy = CallPolicy(
        timeout=settings.AI_REQUEST_TIMEOUT,
        deadline=settings.AI_REQUEST_DEADLINE,
        max_retries=settings.AI_MAX_RETRIES,
        backoff_base=settings.AI_BACKOFF_BASE,
        backoff_cap=settings.AI_BACKOFF_MAX,
        hedge=build_hedge_policy(settings),
        strategy=make_strategy(routing, prices, latency),
        gates=tuple(build_gates(budgets, configured_windows(settings, windows), windows)),
        prices=prices,
        health=breaker or stats,
        observers=Observers([latency, budgets]),
        retry_wait_max=settings.AI_RETRY_WAIT_MAX,
        failover_on_content_filter=settings.AI_FAILOVER_ON_CONTENT_FILTER,
        stream_resume=settings.AI_STREAM_RESUME,
        first_token_timeout=settings.AI_FIRST_TOKEN_TIMEOUT,
        stream_idle_timeout=settings.AI_STREAM_IDLE_TIMEOUT,
        max_continuations=settings.AI_MAX_CONTINUATIONS,
        max_output_tokens=settings.AI_MAX_OUTPUT_TOKENS,
    )
    return AIRuntime(
        policy=policy,
        members=members,
        primary_members=primary,
        missing_settings=missing,
        primary_missing_settings=primary_missing,
        fallback_enabled=settings.AI_FALLBACK_ENABLED,
        stats=stats,
        breaker=breaker,
        latency=latency,
        budgets=budgets,
        routing=routing,
    )


def get_llm_provider(
    fallback: bool | None = None, *, settings: Settings | None = None, runtime: AIRuntime | None = None
) -> HybridChatModel:
    """The chat model every AI feature uses.

    Args:
        fallback: Override `settings.AI_FALLBACK_ENABLED`; False means the primary alone
            (the secondary is never contacted).
        settings: Settings to build from; the process-wide ones by default.
        runtime: The application's runtime (`app.state.ai_runtime`): its model, sharing
            its health, circuits, budgets and metrics. Without one, a new runtime is
            built -- fine for a script, but an application passes its own.
    """
    return (runtime or build_runtime(settings)).model(fallback)


def describe_configuration(settings: Settings) -> dict[str, Any]:
    """Secret-free summary of every provider and which can serve calls (for `/health`).

    Lists each known provider and `AI_OPENAI_COMPATIBLE` instance; `role` is primary,
    fallback (with its `position` in the chain) or unused.
    """
    order = provider_order(settings)
    table = default_context_windows()
    windows = configured_windows(settings, table)
    providers: dict[str, dict[str, Any]] = {}
    names = dict.fromkeys([*order, *settings.provider_names()])
    adapters = {name: adapter_for(name, settings) for name in names}
    for name, adapter in adapters.items():
        config = provider_config(name, adapter, settings)
        providers[name] = {
            "configured": adapter.is_configured(config),
            "model": config.model,
            "role": "primary" if name == settings.AI_PROVIDER else "fallback" if name in order else "unused",
            "position": order.index(name) if name in order else None,
            "type": adapter.kind,
            "context_window": windows.get(name) or context_window(config.model, table),
        }
    serving = [n for n in order if providers[n]["configured"]]
    missing = [s for n in order if not providers[n]["configured"] for s in adapters[n].required_settings]
    return {
        "configured": bool(serving),
        "fallback_enabled": settings.AI_FALLBACK_ENABLED,
        "serving_order": serving,
        "providers": providers,
        "missing_settings": missing,
    }
