"""Gateway routes: what the `model` of a wire request names, resolved to provider targets.

A request's `model` is, in this order:
1. a **route**: `default` (the configured primary and its fallback chain) or a name from
   `AI_ROUTES` (JSON object: name -> ordered list of `provider` or `provider:model`);
2. an explicit `provider/model` or `provider:model`;
3. a provider's bare model name (`gpt-4o`, `claude-3-5-sonnet-20241022`), recognised by
   the configured model names and the model families each provider serves.
A model named directly goes first, then the `default` route's providers. A per-request
`fallbacks` list replaces everything after the first target.

No library resolves model aliases for LangChain chat models (LiteLLM's router does, but
pulling LiteLLM in for a dictionary lookup is the weight this gateway exists to avoid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.core.config import Settings
from app.core.settings.gateway import DEFAULT_ROUTE

#: Model families of the built-in providers, for bare model names not configured anywhere.
_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "openai": ("gpt-", "o1", "o3", "o4", "chatgpt-"),
    "anthropic": ("claude-",),
    "gemini": ("gemini-",),
}


@dataclass(frozen=True, slots=True)
class Target:
    """One provider (and optionally one of its models) a call may be served by."""

    provider: str
    model: str | None = None

    def label(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider


@dataclass(frozen=True, slots=True)
class ResolvedRoute:
    """The targets of one request, in the order they are tried."""

    name: str
    """The route the caller named, or `provider:model` for a direct model name."""
    targets: tuple[Target, ...]


class UnknownModelError(LookupError):
    """The request named no route, provider or model this gateway knows (404)."""


def parse_routes(routes: Mapping[str, Sequence[str]]) -> dict[str, tuple[Target, ...]]:
    """`settings.gateway_routes` (checked at start-up by the settings) as targets."""
    return {
        name: tuple(t for e in entries if (t := split_target(e)) is not None)
        for name, entries in routes.items()
    }


def split_target(text: str) -> Target | None:
    """`openai`, `openai:gpt-4o` or `openai/gpt-4o` as a Target (None when malformed)."""
    text = text.strip()
    for separator in (":", "/"):
        provider, found, model = text.partition(separator)
        if found:
            provider, model = provider.strip().lower(), model.strip()
            return Target(provider, model) if provider and model else None
    return Target(text.lower()) if text else None


class RouteTable:
    """Every route and model name a caller may use, built once per app from settings."""

    def __init__(self, settings: Settings, default_chain: Sequence[str]) -> None:
        self.providers = tuple(settings.provider_names())
        self.routes: dict[str, tuple[Target, ...]] = {
            DEFAULT_ROUTE: tuple(Target(name) for name in default_chain),
            **parse_routes(settings.gateway_routes),
        }
        self.configured_models: dict[str, str] = {}
        self.provider_models: dict[str, str] = {}
        for name in self.providers:
            endpoint = settings.openai_compatible(name)
            model = endpoint.model if endpoint else getattr(settings, f"{name.upper()}_MODEL", None)
            if isinstance(model, str):
                self.configured_models.setdefault(model, name)
                self.provider_models[name] = model

    def provider_of(self, model: str) -> str | None:
        """The provider serving bare model name `model`, if any can."""
        if model in self.configured_models:
            return self.configured_models[model]
        for provider, prefixes in _FAMILIES.items():
            if provider in self.providers and model.startswith(prefixes):
                return provider
        return None

    def target_for(self, name: str) -> Target | tuple[Target, ...]:
        """A route's targets, or the one target a provider or model name stands for."""
        if name in self.routes:
            return self.routes[name]
        if name.lower() in self.providers:
            return Target(name.lower())
        explicit = split_target(name)
        if explicit is not None and explicit.model and explicit.provider in self.providers:
            return explicit
        provider = self.provider_of(name)
        if provider is None:
            raise UnknownModelError(name)
        return Target(provider, name)

    def resolve(self, model: str, fallbacks: Sequence[str] | None = None) -> ResolvedRoute:
        """The targets for a request naming `model` (with its optional `fallbacks`)."""
        found = self.target_for(model)
        if isinstance(found, tuple):
            first, rest = found[0], list(found[1:])
            name = model
        else:
            first, rest, name = found, list(self.routes[DEFAULT_ROUTE]), found.label()
        if fallbacks is not None:
            rest = []
            for entry in fallbacks:
                more = self.target_for(entry)
                rest.extend(more if isinstance(more, tuple) else (more,))
        targets = [first]
        for target in rest:
            if not any(self.same(target, t) for t in targets):
                targets.append(target)
        return ResolvedRoute(name, tuple(targets))

    def same(self, one: Target, other: Target) -> bool:
        """Whether two targets call the same provider model (`openai` == `openai:gpt-4o`)."""
        if one.provider != other.provider:
            return False
        return (one.model or self.default_model(one.provider)) == (
            other.model or self.default_model(other.provider)
        )

    def default_model(self, provider: str) -> str | None:
        return self.provider_models.get(provider)

    def listing(self) -> list[tuple[str, str]]:
        """(id, owned_by) of every route and configured model, for `GET /v1/models`."""
        rows = [(name, "tandem") for name in self.routes]
        rows += [(model, provider) for model, provider in self.configured_models.items()]
        return rows
