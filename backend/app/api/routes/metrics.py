"""`GET /metrics`: the Prometheus exposition of the AI call metrics (see app/observability)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.deps import SettingsDep
from app.observability.metrics import MetricsObserver

router = APIRouter(tags=["observability"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(settings: SettingsDep, request: Request) -> Response:
    if not settings.METRICS_ENABLED:
        raise HTTPException(status_code=404, detail="metrics are disabled (METRICS_ENABLED=false)")
    observer: MetricsObserver = request.app.state.metrics
    return Response(observer.render(), media_type=CONTENT_TYPE_LATEST)
