"""The OpenAI- and Anthropic-compatible gateway endpoints (`/v1`); see docs/API.md."""

from __future__ import annotations

from fastapi import FastAPI

from app.ai.gateway.calls import Gateway
from app.api.gateway.fast_lane import GatewayFastLane, endpoints_of
from app.api.gateway.keys import KeyGate
from app.api.gateway.router import router
from app.core.config import Settings
from app.security.rate_limit import ClientLimiter

#: Where the gateway is mounted; its routes authenticate and cap bodies themselves.
GATEWAY_PREFIX = router.prefix


def install_gateway(app: FastAPI, settings: Settings) -> None:
    """Mount `/v1` and build the app's gateway now, so a bad `AI_ROUTES` stops start-up."""
    limiter = getattr(app.state, "client_limiter", None) or ClientLimiter.from_settings(settings)
    app.state.client_limiter = limiter
    app.state.gateway = gateway = Gateway(settings, app.state.ai_runtime)
    app.state.gateway_keys = KeyGate(settings, limiter)
    app.router.add_event_handler("shutdown", gateway.same_wire.aclose)
    app.include_router(router)


def install_gateway_fast_lane(app: FastAPI) -> None:
    """Serve the gateway's endpoints past FastAPI's per-request path (`fast_lane.py`).

    Call it after every other middleware is added: it must wrap them all to skip them.
    """
    app.add_middleware(GatewayFastLane, endpoints=endpoints_of(router))


__all__ = ["GATEWAY_PREFIX", "install_gateway", "install_gateway_fast_lane", "router"]
