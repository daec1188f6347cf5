"""FastAPI application factory.

`create_app()` builds the app from settings so tests and the CLI can run several
differently configured apps in one process; `app` is the module-level instance uvicorn serves.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from app.ai.cache import build_response_cache
from app.ai.providers import build_runtime
from app.api.errors import install_error_handlers
from app.api.gateway import GATEWAY_PREFIX, install_gateway, install_gateway_fast_lane
from app.api.openapi import install_openapi_limits
from app.api.routes.health import router as health_router
from app.api.routes.metrics import router as metrics_router
from app.api.routes.status_page import router as status_page_router
from app.api.v1.router import api_router
from app.core.config import Settings, get_settings
from app.core.gc_tuning import ServingCollector
from app.core.logging import configure_logging
from app.observability.setup import install_observability
from app.security import require_admin
from app.security.body_limit import BodySizeLimitMiddleware
from app.security.early_auth import EarlyAuthMiddleware
from app.security.mode import announce_auth_mode


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; `settings` defaults to the process-wide ones."""
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL)
    announce_auth_mode(settings)
    # /docs and /redoc load Swagger UI and ReDoc from the fastapi-offline package's files,
    # not from a CDN: they work on a machine (or behind a firewall) with no internet.
    app: FastAPI = FastAPIOffline(
        title=settings.PROJECT_NAME,
        description="AI backend of a job-matching platform, served by OpenAI and Anthropic in tandem.",
        version="0.1.0",
    )
    app.state.settings = settings
    # The app's AI layer: every route's model, health, circuits and budgets come from it.
    app.state.ai_runtime = runtime = build_runtime(settings)
    app.router.add_event_handler("shutdown", runtime.close)
    app.state.response_cache = build_response_cache(settings)  # None unless AI_RESPONSE_CACHE_ENABLED
    app.include_router(health_router)
    # /v1 (OpenAI- and Anthropic-compatible gateway) first: routes are matched in order and
    # the gateway is the hot path for other services.
    install_gateway(app, settings)
    app.include_router(api_router, prefix=settings.API_V1_STR)
    # Operations data: admin keys only (browsers may use HTTP Basic; see app/security/auth.py).
    app.include_router(metrics_router, dependencies=[Depends(require_admin)])
    # The status page is static and holds no data: it signs in to the admin-only
    # /api/v1/ai/status itself (see app/api/routes/status_page.py).
    app.include_router(status_page_router)
    # Middleware, innermost first (each one added wraps the ones before it): bodies are
    # read within their cap and deadline only after the caller is authenticated, and
    # every response, refusals included, carries the request id.
    app.add_middleware(
        BodySizeLimitMiddleware, settings=settings, exempt_prefixes=(GATEWAY_PREFIX + "/",)
    )
    app.add_middleware(EarlyAuthMiddleware, settings=settings)
    install_observability(app, settings, runtime)
    install_error_handlers(app)
    install_openapi_limits(app, settings)
    # Outermost of the app's own middleware: /v1 calls go straight to their handlers.
    install_gateway_fast_lane(app)
    if settings.SERVER_GC_TUNING:  # last: the heap frozen is the one start-up built
        collector = ServingCollector()
        app.router.add_event_handler("startup", collector.start)
        app.router.add_event_handler("shutdown", collector.stop)
    return app
