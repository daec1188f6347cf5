"""HTTP-facing pieces shared by the data routes: error bodies, limits, OpenAPI responses.

Routes raise these instead of building responses by hand so every 404/413/422 has the
same documented shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.models.common import ErrorResponse, LimitErrorResponse

_DESCRIPTIONS = {
    404: ("No row has this id.", ErrorResponse),
    413: ("The request exceeds a configured size limit (named in the body).", LimitErrorResponse),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the given error codes.

    422 is listed by FastAPI itself for any route with a body or parameters.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description, model = _DESCRIPTIONS[code]
        responses[code] = {"description": description, "model": model}
    return responses


def limit_detail(limit_name: str, limit: int, actual: int, what: str) -> dict[str, Any]:
    """The `detail` of a 413: which setting, its value and what the request had."""
    return {
        "message": f"{what} is {actual:,}; the limit {limit_name} is {limit:,}",
        "limit_name": limit_name,
        "limit": limit,
        "actual": actual,
    }


#: Bulk-import routes (relative to the API prefix): their bodies have their own cap.
IMPORT_PATHS = frozenset({"/jobs/import", "/candidates/import", "/documents/import"})


def body_limit_for(settings: Any, path: str) -> tuple[str, int]:
    """(setting name, bytes) of the body cap of the API route `path` (relative to the prefix)."""
    if path in IMPORT_PATHS:
        return "MAX_IMPORT_REQUEST_BYTES", int(settings.MAX_IMPORT_REQUEST_BYTES)
    return "MAX_REQUEST_BYTES", int(settings.MAX_REQUEST_BYTES)


def check_limit(limit_name: str, limit: int, actual: int, what: str) -> None:
    """Raise a 413 naming `limit_name` when `actual` exceeds `limit`."""
    if actual > limit:
        raise HTTPException(status_code=413, detail=limit_detail(limit_name, limit, actual, what))


def not_found(error: LookupError) -> HTTPException:
    """404 carrying the repository's message ("Job 7 not found")."""
    return HTTPException(status_code=404, detail=str(error))


def invalid_field(field: str, message: str, value: Any) -> HTTPException:
    """422 shaped like FastAPI's own validation errors, for checks made after parsing."""
    return HTTPException(
        status_code=422,
        detail=[{"type": "value_error", "loc": ["body", field], "msg": message, "input": value}],
    )


class BodyLimitRoute(APIRoute):
    """Refuse bodies over the route's cap (by Content-Length) before parsing any JSON.

    `app.security.body_limit.BodySizeLimitMiddleware` enforces the same caps for every
    route of an app built by `create_app`; this keeps routers mounted elsewhere safe.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            settings = request.app.state.settings
            path = request.url.path.removeprefix(request.scope.get("root_path", ""))
            name, limit = body_limit_for(settings, path.removeprefix(settings.API_V1_STR))
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                detail = limit_detail(name, limit, int(length), "Request body size")
                return JSONResponse(status_code=413, content={"detail": detail})
            return await handler(request)

        return guarded
