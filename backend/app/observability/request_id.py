"""Request ids: one per HTTP request, echoed in `X-Request-ID` and in every log line.

The id comes from the caller's `X-Request-ID` when it is a sane token (so a gateway's
trace id carries through), else a fresh one. It is held in a contextvar
(`app.core.request_context`), which the log filter copies onto each record: the
provider attempt lines logged deep inside a call carry it without any parameter passing.
"""

from __future__ import annotations

import logging
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.request_context import get_request_id, reset_request_id, set_request_id

HEADER = "x-request-id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware (works for streaming responses, unlike BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _VALID.match(incoming) else new_request_id()
        token = set_request_id(request_id)
        # Also on the scope: the 500 handler runs outside this middleware (Starlette's
        # ServerErrorMiddleware is outermost), after the contextvar is reset.
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER.encode()]
                headers.append((HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_id(token)


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to records logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = get_request_id()
            if request_id is not None:
                record.request_id = request_id
        return True


_filter = RequestIdLogFilter()


def install_request_id_logging() -> None:
    """Attach the filter to every root handler (idempotent): handler filters see records
    from all loggers, so the provider library's lines are tagged too."""
    for handler in logging.getLogger().handlers:
        if _filter not in handler.filters:
            handler.addFilter(_filter)
