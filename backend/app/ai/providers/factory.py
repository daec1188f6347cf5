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
from typing import Any

# Importing the provider modules registers them.
from app.ai.providers import anthropic_provider, openai_provider  # noqa: F401
from app.ai.providers.base import Member
from app.ai.providers.errors import ProviderError
from app.ai.providers.gates import build_gates
from app.ai.providers.health import HealthStats, build_health
from app.ai.providers.hybrid import HybridChatModel
from app.ai.providers.observers import build_observers
from app.ai.providers.registry import get_adapter
from app.ai.providers.routing import build_strategy
from app.core.config import Settings, get_settings

__all__ = ["ProviderError", "describe_configuration", "get_llm_provider", "health_stats"]

logger = logging.getLogger("app.ai.providers")

#: Health statistics shared by every model the factory builds in this process.
health_stats = HealthStats()

_cache: dict[tuple[int, bool], HybridChatModel] = {}
_cache_lock = threading.Lock()


def provider_order(settings: Settings, fallback: bool | None = None) -> list[str]:
    """Providers a call may use, in priority order (primary, then fallback if enabled)."""
    enabled = settings.AI_FALLBACK_ENABLED if fallback is None else fallback
    order = [settings.AI_PROVIDER]
    if enabled and settings.AI_FALLBACK_PROVIDER:
        order.append(settings.AI_FALLBACK_PROVIDER)
    return order


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
        model = _cache.get(key)
        if model is None:
            model = _cache[key] = _build(settings, enabled)
    return model


def _build(settings: Settings, fallback: bool) -> HybridChatModel:
    order = provider_order(settings, fallback)
    members: list[Member] = []
    missing: list[str] = []
    for name in order:
        adapter = get_adapter(name)
        if adapter.is_configured(settings):
            members.append(Member(name, adapter.build(settings), adapter))
        else:
            missing.extend(adapter.required_settings)
    if members and missing:
        logger.warning(
            "AI provider %s is not configured (%s unset); calls are served by %s",
            order[0] if members[0].name != order[0] else order[-1],
            ", ".join(missing),
            ", ".join(m.name for m in members),
        )
    return HybridChatModel(
        members=members,
        timeout=settings.AI_REQUEST_TIMEOUT,
        deadline=settings.AI_REQUEST_DEADLINE,
        max_retries=settings.AI_MAX_RETRIES,
        strategy=build_strategy(settings),
        health=build_health(settings, health_stats),
        gates=build_gates(settings),
        observers=build_observers(settings),
        missing_settings=[] if members else missing,
    )


def describe_configuration(settings: Settings) -> dict[str, Any]:
    """Secret-free summary of which providers can serve calls (for `/health`)."""
    order = provider_order(settings)
    providers = {}
    for name in dict.fromkeys([*order, settings.AI_PROVIDER]):
        adapter = get_adapter(name)
        providers[name] = {
            "configured": adapter.is_configured(settings),
            "model": adapter.model_name(settings),
            "role": "primary" if name == settings.AI_PROVIDER else "fallback",
        }
    serving = [n for n in order if providers[n]["configured"]]
    missing = [s for n in order if not providers[n]["configured"] for s in get_adapter(n).required_settings]
    return {
        "configured": bool(serving),
        "fallback_enabled": settings.AI_FALLBACK_ENABLED,
        "serving_order": serving,
        "providers": providers,
        "missing_settings": missing,
    }
