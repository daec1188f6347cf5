"""The current request's id, readable anywhere below the web layer.

A contextvar lives in `core` so that the provider library can tag its log lines and
ledger rows with the request id without importing FastAPI: the middleware in
`app.observability.request_id` sets it, everything else only reads it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_client_id: ContextVar[str | None] = ContextVar("client_id", default=None)


def get_request_id() -> str | None:
    """The id of the request being served, None outside a request."""
    return _request_id.get()


def set_request_id(value: str | None) -> Token[str | None]:
    """Make `value` the current request id; pass the token to `reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def get_client_id() -> str | None:
    """The API client (`key-<id>`) the current request is served to, None outside one.

    The usage ledger stores it beside each answer, so that only the key that received
    an answer may rate it (`POST /api/v1/ai/feedback`).
    """
    return _client_id.get()


def set_client_id(value: str | None) -> Token[str | None]:
    return _client_id.set(value)


def reset_client_id(token: Token[str | None]) -> None:
    _client_id.reset(token)
