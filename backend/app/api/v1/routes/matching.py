"""`POST /api/v1/jobs/{id}/matches`: the best candidates for a job (uses AI)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from app.ai.cache.model_answers import ModelAnswerCache
from app.ai.chains.candidate_matching_chain import FEATURE, CandidateMatchingChain
from app.api.ai_responses import ServedFields, UserIdHeader
from app.api.cached_answers import Computed, cached_answer
from app.api.deps import RuntimeDep, SettingsDep
from app.api.errors import AI_ERROR_RESPONSES
from app.api.v1.routes.recommendations import RankingOptions, check_result_limit
from app.db import SessionDep
from app.models.common import StrictModel
from app.models.http import BodyLimitRoute, error_responses, not_found
from app.repositories import NotFoundError

router = APIRouter(tags=["ai"], route_class=BodyLimitRoute)


class CandidateMatch(StrictModel):
    candidate_id: int
    name: str
    headline: str
    score: float = Field(description="Fit 0..1: the model's when source=model, else the local score.")
    local_score: float
    strengths: list[str]
    gaps: list[str]
    source: str = Field(description="`model` (ranked by the AI) or `local` (shortlist order).")


class MatchResponse(ServedFields):
    job_id: int
    items: list[CandidateMatch]


@router.post(
    "/jobs/{job_id}/matches",
    response_model=MatchResponse,
    summary="Match candidates to a job (AI)",
    description="Uses AI: a local shortlist ranked and explained (strengths, gaps) by the "
    "hybrid model; deterministic (`degraded: true`) when no provider answers.",
    responses={**error_responses(404, 413), **AI_ERROR_RESPONSES},
)
async def match_candidates(
    job_id: int,
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
            chain = CandidateMatchingChain(session, settings, runtime)
            ranking = await chain.arun(job_id, options.limit, user_id=user_id, cache=answers)
        except NotFoundError as error:
            raise not_found(error) from None
        items = [
            CandidateMatch(
                candidate_id=r.id, name=r.item.name, headline=r.item.headline, score=r.score,
                local_score=r.local_score, strengths=r.notes["strengths"], gaps=r.notes["gaps"],
                source=r.source,
            )
            for r in ranking.items
        ]
        response = MatchResponse(job_id=job_id, items=items, **ranking.served.as_dict())
        return response, ranking.served

    return await cached_answer(
        request, settings, feature=FEATURE, body_flag=options.cache, compute=compute
    )
