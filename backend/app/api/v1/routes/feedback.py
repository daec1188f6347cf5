"""`POST /api/v1/ai/feedback`: rate an AI answer, for A/B quality per arm.

The answer is found in the usage ledger by its `request_id` (the `X-Request-ID` of the
response), and only the API key that received it may rate it: another key gets the
same 404 as an unknown id, so ids cannot be probed. The rating is stored with the
answer's arm, provider, model, feature, cost and latency (`ai_feedback`); rating again
replaces the earlier rating.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Request
from pydantic import Field, StrictInt

from app.api.deps import SettingsDep
from app.db.engine import get_engine
from app.models.common import StrictModel
from app.models.quality import AIFeedback
from app.models.usage import ATTEMPT_OUTCOME_PREFIX, UsageRecord
from app.observability.metrics import MetricsObserver

router = APIRouter(prefix="/ai", tags=["ai"])
_USAGE: Any = UsageRecord.__table__  # type: ignore[attr-defined]
_FEEDBACK: Any = AIFeedback.__table__  # type: ignore[attr-defined]
THUMBS = {"up": 5, "down": 1}
MAX_COMMENT_CHARS = 2_000


class FeedbackRequest(StrictModel):
    request_id: str = Field(min_length=1, max_length=64, description="`X-Request-ID` of the answer.")
    rating: Literal["up", "down"] | Annotated[StrictInt, Field(ge=1, le=5)] = Field(
        description='"up" / "down", or 1-5 stars (4-5 count as positive).'
    )
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class FeedbackResponse(StrictModel):
    request_id: str
    rating: int = Field(description="1-5 (thumbs: up 5, down 1).")
    positive: bool
    feature: str | None
    arm: str | None
    provider: str | None
    model: str | None
    cost_usd: float
    replaced: bool = Field(description="True when this replaced an earlier rating of the answer.")


def _not_found() -> HTTPException:
    return HTTPException(status_code=404, detail={
        "error": "answer_not_found",
        "message": "No AI answer with this request_id was served to this API key.",
    })


def _answer_of(connection: sa.Connection, request_id: str) -> list[Any]:
    """The ledger rows of the request's answered calls (a tool loop may make several)."""
    query = sa.select(_USAGE).where(
        _USAGE.c.request_id == request_id,
        _USAGE.c.outcome.in_(("ok", "cached")),
        sa.not_(_USAGE.c.outcome.startswith(ATTEMPT_OUTCOME_PREFIX)),
    ).order_by(_USAGE.c.id)
    return list(connection.execute(query).all())


@router.post(
    "/feedback", status_code=201, response_model=FeedbackResponse,
    summary="Rate an AI answer (A/B quality)",
    responses={404: {"description": "No answer with this request_id was served to this key"}},
)
def rate_answer(body: FeedbackRequest, request: Request, settings: SettingsDep) -> FeedbackResponse:
    ledger = getattr(request.app.state, "usage_ledger", None)
    if ledger is not None:
        ledger.flush()  # the answer may have been served a moment ago
    principal = getattr(request.state, "principal", None)
    client_id = getattr(principal, "client_id", None)
    rating = THUMBS[body.rating] if isinstance(body.rating, str) else body.rating
    with get_engine(settings.DATABASE_URL).begin() as connection:
        rows = _answer_of(connection, body.request_id)
        if not rows or client_id is None or any(r.client_id != client_id for r in rows):
            raise _not_found()
        first, last = rows[0], rows[-1]
        values = {
            "request_id": body.request_id, "client_id": client_id, "feature": last.feature,
            "provider": last.provider, "model": last.model, "arm": first.arm, "strategy": first.strategy,
            "rating": rating, "positive": rating >= 4, "comment": body.comment,
            "cost_usd": float(sum(r.cost_usd for r in rows)),
            "latency_ms": float(sum(r.latency_ms for r in rows)),
            "failover": any(r.failover for r in rows), "cached": all(r.outcome == "cached" for r in rows),
        }
        replaced = connection.execute(
            sa.delete(_FEEDBACK).where(_FEEDBACK.c.request_id == body.request_id)
        ).rowcount > 0
        connection.execute(sa.insert(_FEEDBACK).values(created_at=datetime.now(UTC), **values))
    metrics: MetricsObserver | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:  # the app's own registry, the one its /metrics renders
        metrics.feedback.labels(
            values["arm"] or "none", values["provider"] or "none", values["feature"] or "unknown",
            "positive" if values["positive"] else "negative",
        ).inc()
    return FeedbackResponse(
        request_id=body.request_id, rating=rating, positive=rating >= 4, feature=values["feature"],
        arm=values["arm"], provider=values["provider"], model=values["model"],
        cost_usd=values["cost_usd"], replaced=replaced,
    )
