"""`get_llm_provider`: the brief's factory, returning a model that really fails over.

The brief's sketch only fell back when a client could not be *built*; here the
returned `HybridChatModel` fails over whenever a *call* fails, per request, with no
restart. Missing keys are handled at build time: a primary without a key is skipped
(one warning) when the fallback has one; with no key at all the model still builds,
so the service starts, and each call raises a `ProviderError` naming the settings to set.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

# Importing the provider modules registers them.
from app.ai.providers import anthropic_provider, gemini_provider, openai_provider  # noqa: F401
from app.ai.providers.base import Member, ProviderAdapter
from app.ai.providers.context_window import configured_windows, context_window
from app.ai.providers.errors import ProviderError
from app.ai.providers.gates import build_gates
from app.ai.providers.health import HealthStats, build_health
from app.ai.providers.hedging import build_hedge_policy
from app.ai.providers.hybrid import HybridChatModel
from app.ai.providers.observers import build_observers
from app.ai.providers.openai_compatible import PROVIDER_TYPE, instance_adapters
from app.ai.providers.registry import get_adapter, registered
from app.ai.providers.routing import build_strategy
from app.core.config import KNOWN_PROVIDERS, ConfigError, Settings, get_settings

__all__ = ["ProviderError", "describe_configuration", "get_llm_provider", "health_stats"]

logger = logging.getLogger("app.ai.providers")

#: Health statistics shared by every model the factory builds in this process.
health_stats = HealthStats()

#: Models built per settings object: building SDK clients costs milliseconds.
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[int, bool], tuple[Settings, HybridChatModel]] = OrderedDict()
_cache_lock = threading.Lock()


def provider_order(settings: Settings, fallback: bool | None = None) -> list[str]:
    """Providers a call may use, in priority order: the primary, then the fallback chain
    (`AI_FALLBACK_PROVIDER`, comma-separated, tried in order) when fallback is enabled."""
    enabled = settings.AI_FALLBACK_ENABLED if fallback is None else fallback
    order = [settings.AI_PROVIDER]
    if enabled:
        order.extend(name for name in settings.fallback_providers if name not in order)
    return order


def check_registry() -> None:
    """Start-up check: every provider `core` knows of (by its settings) has a module.

    `core` derives the provider names from the `<NAME>_API_KEY` settings and may not
    import `ai`; this is where the two lists are held against each other.
    """
    missing = [name for name in KNOWN_PROVIDERS if name not in registered()]
    if missing:
        raise ConfigError(
            f"Settings declare provider(s) {', '.join(missing)} but no provider module registers "
            f"them; registered providers: {', '.join(registered())}"
        )


def adapter_for(name: str, settings: Settings) -> ProviderAdapter:
    """The adapter serving `name`: an `AI_OPENAI_COMPATIBLE` instance or a registered provider."""
    check_registry()
    instance = instance_adapters(settings).get(name)
    if instance is not None:
        return instance
    try:
        return get_adapter(name)
    except ValueError:
        raise ConfigError(
            f"AI_PROVIDER/AI_FALLBACK_PROVIDER name {name!r} is not a provider; "
            f"allowed values: {', '.join(settings.provider_names())}"
        ) from None


def get_llm_provider(
    fallback: bool | None = None, *, settings: Settings | None = None
) -> HybridChatModel:
    """The chat model every AI feature uses.

    Args:
        fallback: Override `settings.AI_FALLBACK_ENABLED`; False means the primary alone
            (the secondary is never contacted).
        settings: Settings to build from; the process-wide ones by default.
    """
    settings = settings or get_settings()
    enabled = settings.AI_FALLBACK_ENABLED if fallback is None else fallback
    key = (id(settings), enabled)
    with _cache_lock:
        cached = _cache.get(key)
        # The entry holds its settings object, so its id cannot be reused while cached;
        # the identity check guards against a recycled id after eviction.
        if cached is not None and cached[0] is settings:
            _cache.move_to_end(key)
            return cached[1]
        model = _build(settings, enabled)
        _cache[key] = (settings, model)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return model


def _build(settings: Settings, fallback: bool) -> HybridChatModel:
    order = provider_order(settings, fallback)
    members: list[Member] = []
    missing: list[str] = []
    unconfigured: list[str] = []
    for name in order:
        adapter = adapter_for(name, settings)
        if adapter.is_configured(settings):
            members.append(Member(name, adapter.build(settings), adapter))
        else:
            unconfigured.append(name)
            missing.extend(adapter.required_settings)
    if members and missing:
        logger.warning(
            "AI provider %s is not configured (%s unset); calls are served by %s",
            ", ".join(unconfigured),
            ", ".join(missing),
            ", ".join(m.name for m in members),
        )
    return HybridChatModel(
        members=members,
        timeout=settings.AI_REQUEST_TIMEOUT,
        deadline=settings.AI_REQUEST_DEADLINE,
        max_retries=settings.AI_MAX_RETRIES,
        backoff_base=settings.AI_BACKOFF_BASE,
        backoff_cap=settings.AI_BACKOFF_MAX,
        retry_wait_max=settings.AI_RETRY_WAIT_MAX,
        failover_on_content_filter=settings.AI_FAILOVER_ON_CONTENT_FILTER,
        stream_resume=settings.AI_STREAM_RESUME,
        first_token_timeout=settings.AI_FIRST_TOKEN_TIMEOUT,
        stream_idle_timeout=settings.AI_STREAM_IDLE_TIMEOUT,
        max_continuations=settings.AI_MAX_CONTINUATIONS,
        max_tokens=settings.AI_MAX_OUTPUT_TOKENS,
        strategy=build_strategy(settings),
        health=build_health(settings, health_stats),
        gates=build_gates(settings),
        hedge=build_hedge_policy(settings),
        observers=build_observers(settings),
        missing_settings=[] if members else missing,
    )


def describe_configuration(settings: Settings) -> dict[str, Any]:
    """Secret-free summary of every provider and which can serve calls (for `/health`).

    Lists each known provider and `AI_OPENAI_COMPATIBLE` instance; `role` is primary,
    fallback (with its `position` in the chain) or unused.
    """
    order = provider_order(settings)
    windows = configured_windows(settings)
    providers: dict[str, dict[str, Any]] = {}
    names = dict.fromkeys([*order, *settings.provider_names()])
    adapters = {name: adapter_for(name, settings) for name in names}
    for name, adapter in adapters.items():
        model = adapter.model_name(settings)
        providers[name] = {
            "configured": adapter.is_configured(settings),
            "model": model,
            "role": "primary" if name == settings.AI_PROVIDER else "fallback" if name in order else "unused",
            "position": order.index(name) if name in order else None,
            "type": PROVIDER_TYPE if settings.openai_compatible(name) else name,
            "context_window": windows.get(name) or context_window(model),
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
