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

Shared by every AI route (the features of issue 3 and `POST /ai/complete` may reuse
`unavailable_response`).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

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


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(
        status_code=500, content={"detail": "internal error", "request_id": get_request_id()}
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app` (called by `create_app`)."""
    app.add_exception_handler(ProviderError, _provider_error)
    app.add_exception_handler(StreamInterruptedError, _stream_interrupted)
    app.add_exception_handler(Exception, _unexpected)


#: OpenAPI `responses=` of every AI route.
AI_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Every AI provider failed and AI_DEGRADED_MODE is false; see Retry-After.",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    },
    422: {"description": "A provider's content policy refused: `content_filtered` with its reason."},
    500: {"description": "Unexpected error: `{detail: 'internal error', request_id}`, no trace."},
}
