"""Dependencies injected into routes through `Depends`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.ai.providers import AIRuntime
from app.core.config import Settings


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
