"""The gateway's endpoints served straight from the ASGI scope, past FastAPI's per-request path.

Why: a gateway call is the hot path of every other service, and most of what FastAPI
does per request is for routes the gateway does not have. Matching the path against
every route of the app, solving dependencies (the gateway's handlers take only the
`Request`), the exception and exit-stack middlewares, and the `/api/v1` middlewares
that exempt `/v1` anyway (early auth, body caps) cost about 12% of a gateway call's
CPU (`benchmarks.bench_gateway`, docs/BENCHMARKS.md "Gateway"). Starlette and FastAPI
have no switch for "this path skips the stack", so this is the one small dispatcher
that does it; what it runs is not a copy:

* the handlers are the gateway router's own endpoints, found from its routes (so
  OpenAPI, `/docs` and the router keep describing exactly what is served);
* each call runs inside `RequestIdMiddleware` (the `X-Request-ID` echo and the log
  contextvar), and inside Starlette's `ServerErrorMiddleware`, which wraps every user
  middleware: a surprise is still the app's logged 500 with a request id;
* anything else -- another method, a path under `/v1` no route has, a websocket --
  goes down the normal stack and gets FastAPI's usual answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.observability.request_id import RequestIdMiddleware

Endpoint = Callable[[Request], Awaitable[Response]]


def endpoints_of(router: APIRouter) -> dict[tuple[str, str], Endpoint]:
    """(method, path) -> endpoint for every route of `router` (all take only the Request)."""
    table: dict[tuple[str, str], Endpoint] = {}
    for route in router.routes:
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                table[(method, route.path)] = route.endpoint
    return table


class GatewayFastLane:
    """Pure ASGI middleware: requests for one of `endpoints` go straight to it."""

    def __init__(self, app: ASGIApp, endpoints: dict[tuple[str, str], Endpoint]) -> None:
        self.app = app
        # Each endpoint as an ASGI app inside the request-id middleware, built once.
        self._served = {key: RequestIdMiddleware(_asgi(endpoint)) for key, endpoint in endpoints.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        served = self._served.get(_route_key(scope)) if scope["type"] == "http" else None
        if served is not None:
            await served(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _route_key(scope: Scope) -> tuple[str, str]:
    path: str = scope["path"]
    root = scope.get("root_path") or ""
    if root and path.startswith(root):
        path = path[len(root):]
    return scope["method"], path


def _asgi(endpoint: Endpoint) -> ASGIApp:
    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        response = await endpoint(Request(scope, receive, send))
        await response(scope, receive, send)

    return serve
