"""`GET /metrics`: the Prometheus exposition of the AI call metrics (see app/observability)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.deps import SettingsDep
from app.observability.metrics import render

router = APIRouter(tags=["observability"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(settings: SettingsDep) -> Response:
    if not settings.METRICS_ENABLED:
        raise HTTPException(status_code=404, detail="metrics are disabled (METRICS_ENABLED=false)")
    return Response(render(), media_type=CONTENT_TYPE_LATEST)
