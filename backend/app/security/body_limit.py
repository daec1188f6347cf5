"""A hard cap on request body size for every route, before any route code runs.

`BodyLimitRoute` (app/models/http.py) checks the declared Content-Length of the data
routes; a chunked request declares none, and routes without that route class (e.g.
`/ai/complete`) were not covered at all. This middleware closes both gaps: a declared
length over `MAX_REQUEST_BYTES` is refused at once, and a body without one is read up
to the limit and refused as soon as it exceeds it, so nobody can make the server
buffer an unbounded body. Answers are the same 413 body as the routes' own limits.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.models.http import limit_detail

LIMIT_NAME = "MAX_REQUEST_BYTES"


class BodySizeLimitMiddleware:
    """Refuse request bodies over `max_bytes` with a 413 naming MAX_REQUEST_BYTES."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._refuse(send, int(declared))
                return
            # The server itself holds the client to the declared length.
            await self.app(scope, receive, send)
            return
        body, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_bytes:
                await self._refuse(send, total)
                return
            body.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(body), receive), send)

    async def _refuse(self, send: Send, actual: int) -> None:
        detail = limit_detail(LIMIT_NAME, self.max_bytes, actual, "Request body size")
        payload = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
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
