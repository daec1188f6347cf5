"""`POST /api/v1/candidates/{id}/recommendations`: the best jobs for a candidate (uses AI).

POST (not GET) because the body is a strict, extensible options object. With
AI_RESPONSE_CACHE_ENABLED a repeated request whose model input is unchanged (same candidate,
limit, shortlisted rows and models) is answered from the response cache (`cached: true`);
stage one still runs, only the model call is spared; see `app/api/cached_answers.py`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from app.ai.cache.model_answers import ModelAnswerCache
from app.ai.chains.recommendation_chain import FEATURE, RecommendationChain
from app.api.ai_responses import ServedFields, UserIdHeader
from app.api.cached_answers import Computed, cached_answer
from app.api.deps import RuntimeDep, SettingsDep
from app.api.errors import AI_ERROR_RESPONSES
from app.db import SessionDep
from app.models.common import StrictModel
from app.models.http import BodyLimitRoute, error_responses, invalid_field, not_found
from app.repositories import NotFoundError

router = APIRouter(tags=["ai"], route_class=BodyLimitRoute)


class RankingOptions(StrictModel):
    limit: int = Field(default=5, ge=1, le=100, description="How many items (at most AI_MAX_RESULTS).")
    cache: bool | None = Field(
        default=None,
        description="false: skip the response cache for this call and store the fresh answer "
        "(like `Cache-Control: no-cache`; `no-store` neither reads nor writes).",
    )


class JobRecommendation(StrictModel):
    job_id: int
    title: str
    company: str
    score: float = Field(description="Fit 0..1: the model's when source=model, else the local score.")
    local_score: float = Field(description="The local shortlist's score 0..1.")
    reasons: list[str]
    source: str = Field(description="`model` (ranked by the AI) or `local` (shortlist order).")


class RecommendationResponse(ServedFields):
    candidate_id: int
    items: list[JobRecommendation]


def check_result_limit(limit: int, maximum: int) -> None:
    if limit > maximum:
        raise invalid_field("limit", f"must be at most AI_MAX_RESULTS ({maximum})", limit)


@router.post(
    "/candidates/{candidate_id}/recommendations",
    response_model=RecommendationResponse,
    summary="Recommend jobs for a candidate (AI)",
    description="Uses AI: a local shortlist ranked and explained by the hybrid model; "
    "deterministic (`degraded: true`) when no provider answers.",
    responses={**error_responses(404, 413), **AI_ERROR_RESPONSES},
)
async def recommend_jobs(
    candidate_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep, runtime: RuntimeDep,
    user_id: UserIdHeader = None,
    body: RankingOptions | None = None,
) -> JSONResponse:
    options = body or RankingOptions()
    check_result_limit(options.limit, settings.AI_MAX_RESULTS)

    async def compute(answers: ModelAnswerCache | None) -> Computed:
        try:
            chain = RecommendationChain(session, settings, runtime)
            ranking = await chain.arun(candidate_id, options.limit, user_id=user_id, cache=answers)
        except NotFoundError as error:
            raise not_found(error) from None
        items = [
            JobRecommendation(
                job_id=r.id, title=r.item.title, company=r.item.company, score=r.score,
                local_score=r.local_score, reasons=r.notes["reasons"], source=r.source,
            )
            for r in ranking.items
        ]
        response = RecommendationResponse(candidate_id=candidate_id, items=items, **ranking.served.as_dict())
        return response, ranking.served

    return await cached_answer(
        request, settings, feature=FEATURE, body_flag=options.cache, compute=compute
    )
