"""The OpenAI/Anthropic-compatible gateway (`/v1`, issue 16): routes, key cache, body limit."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

#: The route every gateway serves: the configured primary and its fallback chain.
DEFAULT_ROUTE = "default"
_ROUTES_SHAPE = 'a JSON object of route name -> list of "provider" or "provider:model"'


class GatewaySettings(BaseModel):
    AI_ROUTES: str | None = Field(
        default=None,
        description='JSON: gateway route name -> ordered list of "provider" or "provider:model".',
    )
    GATEWAY_KEY_CACHE_SECONDS: float = Field(
        default=2.0, ge=0, description="Seconds a gateway key lookup is cached (revocation delay)."
    )
    GATEWAY_MAX_REQUEST_BYTES: int = Field(
        default=10_000_000, ge=1, description="Largest /v1 request body; larger ones get a 413."
    )

    @property
    def gateway_routes(self) -> dict[str, tuple[str, ...]]:
        """`AI_ROUTES` parsed (ValueError naming the setting when malformed)."""
        if not self.AI_ROUTES or not self.AI_ROUTES.strip():
            return {}
        try:
            data: Any = json.loads(self.AI_ROUTES)
        except ValueError as error:
            raise ValueError(
                f"AI_ROUTES is not valid JSON ({error}); allowed values: {_ROUTES_SHAPE}"
            ) from None
        if not isinstance(data, dict):
            raise ValueError(f"AI_ROUTES: allowed values: {_ROUTES_SHAPE}")
        routes: dict[str, tuple[str, ...]] = {}
        for name, entries in data.items():
            if not name.strip() or name == DEFAULT_ROUTE:
                raise ValueError(f"AI_ROUTES: route name {name!r} is empty or reserved ({DEFAULT_ROUTE!r})")
            if (
                not isinstance(entries, list)
                or not entries
                or not all(isinstance(e, str) and e.strip() for e in entries)
            ):
                raise ValueError(
                    f"AI_ROUTES[{name!r}]: allowed values: a non-empty list of "
                    '"provider" or "provider:model" strings'
                )
            routes[name] = tuple(e.strip() for e in entries)
        return routes

    def problems(self) -> list[str]:
        try:
            routes = self.gateway_routes
        except ValueError as error:
            return [str(error)]
        names: tuple[str, ...] = self.provider_names()  # type: ignore[attr-defined]
        problems = []
        for route, entries in routes.items():
            for entry in entries:
                provider = entry.replace("/", ":", 1).partition(":")[0].strip().lower()
                if provider not in names:
                    problems.append(
                        f"AI_ROUTES[{route!r}]: {entry!r} names no provider; allowed values: "
                        f"{', '.join(names)} (optionally ':model')"
                    )
        return problems
