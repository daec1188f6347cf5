"""Authenticate `/api/v1` requests from their headers, before anyone reads the body.

FastAPI reads and parses a request's body before it runs any dependency, so with
authentication as a dependency alone an unauthenticated client could make the server
read (and parse) a large body just to be told 401. This middleware sits outside the
body reader (`BodySizeLimitMiddleware`): it resolves the key and checks the route's
scope from the headers, answers 401/403/503 without touching the body (and closes
the connection, so the unread body is dropped), and hands the principal to the
`authenticate` dependency through the request state, so the key is looked up once.
"""

from __future__ import annotations

import json

import anyio.to_thread
from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.request_context import get_request_id
from app.security.auth import LOCAL_DEV, forbid_unless, key_from_headers, principal_for_key
from app.security.policy import api_path, required_scope


class EarlyAuthMiddleware:
    """401/403/503 for `/api/v1` requests from their headers alone; principal into the state."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _is_api(self, scope: Scope) -> bool:
        prefix = self.settings.API_V1_STR
        path = str(scope["path"]).removeprefix(scope.get("root_path", "") or "")
        return path == prefix or path.startswith(prefix + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.settings.AUTH_MODE == LOCAL_DEV or not self._is_api(scope):
            await self.app(scope, receive, send)
            return
        key = key_from_headers(Headers(scope=scope))
        path = api_path(scope["path"], scope.get("root_path", ""), self.settings.API_V1_STR)
        try:
            # The key store is a synchronous database lookup: keep it off the event loop.
            principal = await anyio.to_thread.run_sync(principal_for_key, self.settings, key)
            forbid_unless(principal, required_scope(path, scope["method"]))
        except HTTPException as error:
            await _answer(send, error, close=_has_body(scope))
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return headers.get(b"content-length", b"0") not in (b"", b"0") or b"transfer-encoding" in headers


async def _answer(send: Send, error: HTTPException, *, close: bool) -> None:
    """The error as JSON; `close` drops the connection (and with it the unread body)."""
    payload = json.dumps({"detail": error.detail, "request_id": get_request_id()}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    headers += [(name.lower().encode(), value.encode()) for name, value in (error.headers or {}).items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
