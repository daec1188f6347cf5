"""`POST /api/v1/qa`: answers from the knowledge documents with citations (uses AI)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from app.ai.cache.model_answers import ModelAnswerCache
from app.ai.rag.qa_chain import FEATURE, QAChain
from app.api.ai_responses import ServedFields, UserIdHeader
from app.api.cached_answers import Computed, cached_answer
from app.api.deps import RuntimeDep, SettingsDep
from app.api.errors import AI_ERROR_RESPONSES
from app.db import SessionDep
from app.models.common import StrictModel
from app.models.http import BodyLimitRoute, check_limit, error_responses
from app.repositories.base import MAX_SQL_INT

router = APIRouter(tags=["ai"], route_class=BodyLimitRoute)


class QuestionRequest(StrictModel):
    question: str = Field(min_length=1, description="At most MAX_QUESTION_CHARS characters (else 413).")
    k: int = Field(default=5, ge=1, le=20, description="Passages to retrieve.")
    document_ids: list[Annotated[int, Field(ge=1, le=MAX_SQL_INT)]] | None = Field(
        default=None, max_length=100, description="Search only these."
    )
    cache: bool | None = Field(
        default=None,
        description="false: skip the response cache for this call and store the fresh answer "
        "(like `Cache-Control: no-cache`; `no-store` neither reads nor writes).",
    )


class Citation(StrictModel):
    chunk_id: int
    document_id: int
    document_title: str
    text: str
    score: float


class AnswerResponse(ServedFields):
    answer: str
    found: bool = Field(description="False: nothing relevant was retrieved (no model was called).")
    citations: list[Citation]


@router.post(
    "/qa",
    response_model=AnswerResponse,
    summary="Answer a question from the documents (AI)",
    description="Uses AI: full-text retrieval, then the hybrid model answers citing the "
    "passages used; 'I don't know' without a model call when nothing is retrieved; the "
    "best passages (`degraded: true`) when no provider answers.",
    responses={**error_responses(413), **AI_ERROR_RESPONSES},
)
async def answer_question(
    body: QuestionRequest, request: Request, session: SessionDep, settings: SettingsDep,
    runtime: RuntimeDep,
    user_id: UserIdHeader = None,
) -> JSONResponse:
    check_limit("MAX_QUESTION_CHARS", settings.MAX_QUESTION_CHARS, len(body.question), "Question length")

    async def compute(answers: ModelAnswerCache | None) -> Computed:
        result = await QAChain(session, settings, runtime).arun(
            body.question, k=body.k, document_ids=body.document_ids, user_id=user_id,
            cache=answers,
        )
        citations = [
            Citation(
                chunk_id=c.chunk_id, document_id=c.document_id, document_title=c.document_title,
                text=c.text, score=c.score,
            )
            for c in result.citations
        ]
        response = AnswerResponse(
            answer=result.answer, found=result.found, citations=citations, **result.served.as_dict()
        )
        return response, result.served

    return await cached_answer(request, settings, feature=FEATURE, body_flag=body.cache, compute=compute)
