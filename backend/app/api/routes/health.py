"""`GET /health`: liveness plus a summary of which AI providers can serve calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.ai.providers.factory import describe_configuration
from app.api.deps import SettingsDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service liveness and AI provider configuration")
def health(settings: SettingsDep) -> dict[str, Any]:
    """Always 200 while the process serves requests; `ai` says whether AI calls can work."""
    return {"status": "ok", "ai": describe_configuration(settings)}
