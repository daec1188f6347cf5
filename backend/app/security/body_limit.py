"""Request bodies: a size cap per route and a deadline, before any route code runs.

Every body is read here, in full, before the app sees it:
* a declared `Content-Length` over the route's cap is refused at once (413), without
  reading a byte; a body without one is read up to the cap and refused as soon as it
  exceeds it, so nobody can make the server buffer an unbounded body;
* the whole body must arrive within `REQUEST_BODY_TIMEOUT_SECONDS` of the headers
  (408 and the connection closed), so a client dripping one byte a second cannot hold
  a connection and a worker's memory for minutes.

The cap is `MAX_REQUEST_BYTES` (1 MB by default) except on the bulk-import routes,
which have their own `MAX_IMPORT_REQUEST_BYTES` (`body_limit_for`). FastAPI's own
`max_body_size` answers a bare "Content Too Large"; ours names the setting (the same
413 body as the routes' field limits) and carries the deadline. Authentication
(`EarlyAuthMiddleware`) runs before this, so an unauthenticated body is never read.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.request_context import get_request_id
from app.models.http import body_limit_for, limit_detail
from app.security.policy import api_path


class BodySizeLimitMiddleware:
    """Read each request body within its size cap and deadline, then replay it to the app."""

    def __init__(self, app: ASGIApp, settings: Settings, exempt_prefixes: tuple[str, ...] = ()) -> None:
        """`exempt_prefixes`: paths whose routes read and cap their own bodies (the gateway
        answers its 413 in the caller's wire format, after authenticating the key)."""
        self.app = app
        self.settings = settings
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        path = api_path(scope["path"], scope.get("root_path", ""), self.settings.API_V1_STR)
        limit_name, limit = body_limit_for(self.settings, path)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, {"detail": limit_detail(limit_name, limit, int(declared),
                                                            "Request body size")})
            return
        body: list[bytes] = []
        total = 0
        timeout = self.settings.REQUEST_BODY_TIMEOUT_SECONDS
        with anyio.move_on_after(timeout) as deadline:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away before sending its body
                chunk = message.get("body", b"")
                total += len(chunk)
                if total > limit:
                    detail = limit_detail(limit_name, limit, total, "Request body size")
                    await _refuse(send, 413, {"detail": detail})
                    return
                body.append(chunk)
                if not message.get("more_body", False):
                    break
        if deadline.cancelled_caught:
            await _refuse(send, 408, {"detail": {
                "message": f"The request body did not arrive within {timeout:g} s "
                           "(REQUEST_BODY_TIMEOUT_SECONDS)",
                "limit_name": "REQUEST_BODY_TIMEOUT_SECONDS", "received_bytes": total,
            }})
            return
        await self.app(scope, _replay(b"".join(body), receive), send)


async def _refuse(send: Send, status: int, content: dict[str, Any]) -> None:
    """Answer without reading (more of) the body, and close: the rest is never read."""
    payload = json.dumps({**content, "request_id": get_request_id()}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": payload})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
            return message
        return await receive()

    return replay
