"""App-wide exception handlers: provider failures and surprises never become bare 500s.

* `ProviderError` (every provider failed) escaping a route -> 503 with `Retry-After`
  (the providers' own hint when they sent one) and a typed body.
* `ProviderError` because no provider is configured -> 503 `ai_not_configured`, the
  settings to set, and no `Retry-After`: retrying cannot help until an operator acts.
* `StreamInterruptedError` outside a stream -> 502 with a typed body.
* A provider's content-policy refusal (either of the two above, caused by one) -> 422
  `content_filtered` with the provider's reason: the request was judged, not the
  service unavailable, so no `Retry-After` and no degraded answer.
* Any other exception -> 500 `{"detail": "internal error", "request_id": ...}`, logged
  with its traceback server-side, never echoed to the client.
* Validation errors (422) and `HTTPException`s keep FastAPI's `{"detail": ...}` shape and
  gain `request_id`. Their echoed `input` is made JSON-safe first: `NaN`, `1e400`
  (infinity) and lone surrogates are valid Python values that `json.dumps` or UTF-8
  cannot encode, and FastAPI's own handler crashed into a 500 while echoing them.

Shared by every AI route (the features of issue 3 and `POST /ai/complete` may reuse
`unavailable_response`).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.ai.providers.errors import (
    ContentFilteredError,
    ProviderError,
    ProviderNotConfiguredError,
    StreamInterruptedError,
    describe,
)
from app.core.request_context import get_request_id

logger = logging.getLogger("app.api")

AI_UNAVAILABLE = "ai_unavailable"
AI_NOT_CONFIGURED = "ai_not_configured"
STREAM_INTERRUPTED = "stream_interrupted"
CONTENT_FILTERED = "content_filtered"


def refusal_of(error: BaseException) -> dict[str, Any] | None:
    """{provider, reason, message} when a provider's content policy ended the call."""
    if isinstance(error, ProviderError):
        attempt = error.content_filter
        if attempt is None:
            return None
        return {"provider": attempt.provider, "reason": attempt.reason, "message": attempt.error}
    cause = error.__cause__ if isinstance(error, StreamInterruptedError) else error
    if isinstance(cause, ContentFilteredError):
        return {"provider": cause.provider, "reason": cause.kind, "message": cause.reason}
    return None


def refused_response(error: BaseException) -> JSONResponse | None:
    """422 `content_filtered` with the provider's reason, or None for other failures."""
    refusal = refusal_of(error)
    if refusal is None:
        return None
    body = error_body(error, CONTENT_FILTERED)
    body["error"].update(refusal)
    return JSONResponse(status_code=422, content=body)


def error_body(error: BaseException, kind: str) -> dict[str, Any]:
    """`{"error": {type, message, attempts}}`; messages are secret-free (`describe`)."""
    attempts = [a.as_dict() for a in getattr(error, "attempts", ())]
    message = error.message if isinstance(error, ProviderError) else describe(error)
    body = {"type": kind, "message": message, "attempts": attempts}
    return {"error": body, "request_id": get_request_id()}


def retry_after_seconds(error: BaseException) -> int:
    hint = error.retry_after if isinstance(error, ProviderError) else None
    return max(1, math.ceil(hint)) if hint else 1


def not_configured_cause(error: BaseException) -> ProviderNotConfiguredError | None:
    """The "no provider has a key" error inside `error`, if that is why the call failed."""
    if isinstance(error, ProviderNotConfiguredError):
        return error
    if isinstance(error, ProviderError):
        return next((e for e in error.exceptions if isinstance(e, ProviderNotConfiguredError)), None)
    return None


def unavailable_response(error: BaseException) -> JSONResponse:
    """503: AI is unavailable (and degraded answers are off, or the route has none).

    With `Retry-After` when a provider failed; without it, and typed `ai_not_configured`,
    when no provider is configured at all.
    """
    cause = not_configured_cause(error)
    if cause is not None:
        body = {"type": AI_NOT_CONFIGURED, "message": str(cause),
                "missing_settings": list(cause.missing_settings), "attempts": []}
        return JSONResponse(status_code=503, content={"error": body, "request_id": get_request_id()})
    return JSONResponse(
        status_code=503,
        content=error_body(error, AI_UNAVAILABLE),
        headers={"Retry-After": str(retry_after_seconds(error))},
    )


async def _provider_error(_request: Request, error: Exception) -> JSONResponse:
    return refused_response(error) or unavailable_response(error)


async def _stream_interrupted(_request: Request, error: Exception) -> JSONResponse:
    return refused_response(error) or JSONResponse(
        status_code=502, content=error_body(error, STREAM_INTERRUPTED)
    )


def json_safe(value: Any) -> Any:
    """`value` with what JSON/UTF-8 cannot carry spelled out: `NaN` -> "nan", lone surrogates
    -> `\\ud800`. Used on echoed client input, which may hold exactly those."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        return value
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def request_id_of(request: Request) -> str | None:
    """The request's id, also outside the request-id middleware (the 500 handler runs there)."""
    state = request.scope.get("state") or {}
    return get_request_id() or state.get("request_id")


def _id_headers(request_id: str | None, headers: dict[str, str] | None = None) -> dict[str, str]:
    return {**(headers or {}), **({"X-Request-ID": request_id} if request_id else {})}


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = json_safe(jsonable_encoder(json_safe(list(error.errors()))))
    return JSONResponse(status_code=422, content={"detail": errors, "request_id": request_id_of(request)})


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    request_id = request_id_of(request)
    content = {"detail": json_safe(jsonable_encoder(json_safe(error.detail))), "request_id": request_id}
    headers = dict(error.headers or {})
    if error.status_code in (204, 304):  # pragma: no cover - no body allowed
        return JSONResponse(status_code=error.status_code, content=None, headers=headers)
    return JSONResponse(status_code=error.status_code, content=content, headers=headers)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    request_id = request_id_of(request)
    return JSONResponse(
        status_code=500, content={"detail": "internal error", "request_id": request_id},
        headers=_id_headers(request_id),
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app` (called by `create_app`)."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ProviderError, _provider_error)
    app.add_exception_handler(StreamInterruptedError, _stream_interrupted)
    app.add_exception_handler(Exception, _unexpected)


#: OpenAPI `responses=` of every AI route.
AI_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "The client's AI rate limit (AI_RATE_LIMIT_PER_MINUTE) or concurrency cap "
        "(AI_MAX_CONCURRENT_PER_CLIENT) is exhausted; see Retry-After.",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    },
    502: {"description": "The provider's answer broke off and could not be completed "
          "(`stream_interrupted`); streams report it as an SSE `error` event instead."},
    503: {
        "description": "Every AI provider failed and AI_DEGRADED_MODE is false; see Retry-After.",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    },
    422: {"description": "A provider's content policy refused: `content_filtered` with its reason."},
    500: {"description": "Unexpected error: `{detail: 'internal error', request_id}`, no trace."},
}
