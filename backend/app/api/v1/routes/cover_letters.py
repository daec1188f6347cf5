"""`POST /api/v1/cover-letters`: a cover letter for a candidate and a job (uses AI, streamable)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.ai.chains.cover_letter_chain import CoverLetterChain, Length, Tone
from app.api.ai_responses import (
    Event,
    ServedFields,
    StreamFlag,
    UserIdHeader,
    ai_json,
    sse_response,
    wants_stream,
)
from app.api.deps import RuntimeDep, SettingsDep
from app.api.errors import AI_ERROR_RESPONSES
from app.db import SessionDep
from app.models.common import StrictModel
from app.models.http import BodyLimitRoute, error_responses, not_found
from app.repositories import NotFoundError

router = APIRouter(tags=["ai"], route_class=BodyLimitRoute)


class CoverLetterRequest(StrictModel):
    candidate_id: int
    job_id: int
    tone: Tone = Tone.formal
    length: Length = Length.medium
    stream: StreamFlag = None


class CoverLetterResponse(ServedFields):
    candidate_id: int
    job_id: int
    letter: str


@router.post(
    "/cover-letters",
    response_model=CoverLetterResponse,
    summary="Write a cover letter (AI, streamable)",
    description="Uses AI: the hybrid model writes the letter; a template filled from the "
    "profile (`degraded: true`) when no provider answers. With `stream: true`: SSE events "
    "`token` {text}, then `done` {letter, provider, model, failover, degraded, truncated, ...} "
    "or `error` {error: {type, message}} when the stream broke after content and no provider "
    "could finish it. A `restart` {reason, provider, shown_chars} event means the letter starts "
    "again on another provider: drop the text shown so far.",
    responses={**error_responses(404, 413), **AI_ERROR_RESPONSES},
)
async def write_cover_letter(
    body: CoverLetterRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep, runtime: RuntimeDep,
    user_id: UserIdHeader = None,
) -> Response:
    chain = CoverLetterChain(session, settings, runtime)
    try:
        chain.load(body.candidate_id, body.job_id)
    except NotFoundError as error:
        raise not_found(error) from None
    if wants_stream(request, body.stream):
        return await sse_response(_events(chain, body, user_id))
    letter, served = await chain.arun(body.candidate_id, body.job_id, body.tone, body.length, user_id=user_id)
    response = CoverLetterResponse(
        candidate_id=body.candidate_id, job_id=body.job_id, letter=letter, **served.as_dict()
    )
    return ai_json(response, served)


async def _events(
    chain: CoverLetterChain, body: CoverLetterRequest, user_id: str | None
) -> AsyncIterator[Event]:
    parts: list[str] = []
    pieces = chain.astream(body.candidate_id, body.job_id, body.tone, body.length, user_id=user_id)
    async for piece in pieces:
        if piece.restart is not None:
            parts.clear()  # the client drops what it showed (documented)
            yield "restart", piece.restart.as_dict()
        if piece.text:
            parts.append(piece.text)
            yield "token", {"text": piece.text}
        if piece.served is not None:
            yield "done", {
                "candidate_id": body.candidate_id, "job_id": body.job_id, "letter": "".join(parts),
                **piece.served.as_dict(),
            }
