"""`/api/v1/candidates`: create, read, list with filters, update, delete, bulk import."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import StringConstraints

from app.api.deps import SettingsDep
from app.core.config import Settings
from app.db import SessionDep
from app.models import CandidateCreate, CandidateRead, CandidateUpdate, ImportResult, Page
from app.models.common import MAX_SKILL_CHARS, MAX_SKILLS
from app.models.http import BodyLimitRoute, check_limit, error_responses, not_found
from app.repositories import CandidateFilters, CandidateRepository, NotFoundError

router = APIRouter(prefix="/candidates", tags=["candidates"], route_class=BodyLimitRoute)

Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip (at most 1,000,000).")]


def _check_resumes(settings: Settings, resumes: Iterable[str | None]) -> None:
    longest = max((len(text) for text in resumes if text), default=0)
    check_limit("MAX_RESUME_CHARS", settings.MAX_RESUME_CHARS, longest, "resume_text length")


@router.post(
    "", status_code=201, response_model=CandidateRead, summary="Create a candidate",
    responses=error_responses(413),
)
def create_candidate(
    body: CandidateCreate, session: SessionDep, settings: SettingsDep
) -> CandidateRead:
    """Create a candidate (resume_text at most MAX_RESUME_CHARS characters: else 413)."""
    _check_resumes(settings, [body.resume_text])
    return CandidateRead.model_validate(CandidateRepository(session).create(body))


@router.get("", response_model=Page[CandidateRead], summary="List candidates")
def list_candidates(
    session: SessionDep,
    limit: Limit = 20,
    offset: Offset = 0,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in name, headline or résumé.")
    ] = None,
    skill: Annotated[
        list[Annotated[str, StringConstraints(max_length=MAX_SKILL_CHARS)]],
        Query(max_length=MAX_SKILLS, description="Skill the candidate has; repeat to require several."),
    ] = [],  # noqa: B006  (FastAPI copies defaults)
) -> Page[CandidateRead]:
    """Newest first; `total` counts every match across pages."""
    rows, total = CandidateRepository(session).page(CandidateFilters(q=q, skills=skill), limit, offset)
    items = [CandidateRead.model_validate(row) for row in rows]
    return Page[CandidateRead](items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/import", status_code=201, response_model=ImportResult, summary="Import candidates in bulk",
    responses=error_responses(413),
)
def import_candidates(
    body: list[CandidateCreate], session: SessionDep, settings: SettingsDep
) -> ImportResult:
    """Create every candidate of the list or none (at most MAX_IMPORT_ITEMS)."""
    check_limit("MAX_IMPORT_ITEMS", settings.MAX_IMPORT_ITEMS, len(body), "Number of items")
    _check_resumes(settings, (item.resume_text for item in body))
    ids = CandidateRepository(session).create_many(body)
    return ImportResult(created=len(ids), ids=ids)


@router.get(
    "/{candidate_id}", response_model=CandidateRead, summary="Get a candidate",
    responses=error_responses(404),
)
def get_candidate(candidate_id: int, session: SessionDep) -> CandidateRead:
    """One candidate by id."""
    try:
        return CandidateRead.model_validate(CandidateRepository(session).require(candidate_id))
    except NotFoundError as error:
        raise not_found(error) from None


@router.patch(
    "/{candidate_id}", response_model=CandidateRead, summary="Update a candidate",
    responses=error_responses(404, 413),
)
def update_candidate(
    candidate_id: int, body: CandidateUpdate, session: SessionDep, settings: SettingsDep
) -> CandidateRead:
    """Change the fields sent."""
    _check_resumes(settings, [body.resume_text])
    try:
        return CandidateRead.model_validate(CandidateRepository(session).update(candidate_id, body))
    except NotFoundError as error:
        raise not_found(error) from None


@router.delete(
    "/{candidate_id}", status_code=204, response_class=Response, summary="Delete a candidate",
    responses=error_responses(404),
)
def delete_candidate(candidate_id: int, session: SessionDep) -> Response:
    """Delete a candidate for good."""
    try:
        CandidateRepository(session).delete(candidate_id)
    except NotFoundError as error:
        raise not_found(error) from None
    return Response(status_code=204)
