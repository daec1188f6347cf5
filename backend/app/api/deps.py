"""Dependencies injected into routes through `Depends`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.ai.providers import AIRuntime
from app.core.config import Settings
from app.core.request_context import reset_client_id, set_client_id


def get_app_settings(request: Request) -> Settings:
    """The settings the running app was built with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_ai_runtime(request: Request) -> AIRuntime:
    """The AI runtime of the running app: its models, health, circuits and budgets."""
    runtime: AIRuntime = request.app.state.ai_runtime
    return runtime


RuntimeDep = Annotated[AIRuntime, Depends(get_ai_runtime)]


async def bind_client_id(request: Request) -> AsyncIterator[None]:
    """Router-level dependency (after `authenticate`): the caller's client id in a
    contextvar for the request, so the usage ledger records which key got each answer.

    Async on purpose: a sync dependency runs in a worker thread, whose context changes
    never reach the route.
    """
    principal = getattr(request.state, "principal", None)
    token = set_client_id(getattr(principal, "client_id", None))
    try:
        yield
    finally:
        reset_client_id(token)


def reject_nul_in_query(request: Request) -> None:
    """Router-level: a NUL in any query parameter is a 422 (bodies: `StrictModel`).

    Every query parameter at once, so filters added later are covered too; PostgreSQL
    cannot even compare text with a NUL in it.
    """
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            shown = value.replace("\x00", "\\x00")
            raise HTTPException(status_code=422, detail=[{
                "type": "value_error", "loc": ["query", name.replace("\x00", "\\x00")],
                "msg": "Value error, must not contain NUL characters", "input": shown,
            }])
