"""`/api/v1/jobs`: create, read, list with filters, update, delete, bulk import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import StringConstraints

from app.api.deps import SettingsDep
from app.db import SessionDep
from app.models import ImportResult, JobCreate, JobRead, JobUpdate, Page, Seniority
from app.models.common import MAX_SKILL_CHARS, MAX_SKILLS
from app.models.http import BodyLimitRoute, check_limit, error_responses, invalid_field, not_found
from app.repositories import InvalidChangesError, JobFilters, JobRepository, NotFoundError

router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=BodyLimitRoute)

Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip (at most 1,000,000).")]


@router.post(
    "", status_code=201, response_model=JobRead, summary="Create a job",
    responses=error_responses(413),
)
def create_job(body: JobCreate, session: SessionDep) -> JobRead:
    """Create a job; skills are normalised (trimmed, lower-cased, de-duplicated)."""
    return JobRead.model_validate(JobRepository(session).create(body))


@router.get("", response_model=Page[JobRead], summary="List jobs")
def list_jobs(
    session: SessionDep,
    limit: Limit = 20,
    offset: Offset = 0,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in title, company or description.")
    ] = None,
    remote: Annotated[bool | None, Query(description="Only remote (or on-site) jobs.")] = None,
    seniority: Annotated[Seniority | None, Query(description="Only this level.")] = None,
    skill: Annotated[
        list[Annotated[str, StringConstraints(max_length=MAX_SKILL_CHARS)]],
        Query(max_length=MAX_SKILLS, description="Required skill; repeat to require several."),
    ] = [],  # noqa: B006  (FastAPI copies defaults)
) -> Page[JobRead]:
    """Newest first; `total` counts every match across pages."""
    filters = JobFilters(q=q, remote=remote, seniority=seniority, skills=skill)
    rows, total = JobRepository(session).page(filters, limit, offset)
    items = [JobRead.model_validate(row) for row in rows]
    return Page[JobRead](items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/import", status_code=201, response_model=ImportResult, summary="Import jobs in bulk",
    responses=error_responses(413),
)
def import_jobs(body: list[JobCreate], session: SessionDep, settings: SettingsDep) -> ImportResult:
    """Create every job of the list or none (at most MAX_IMPORT_ITEMS)."""
    check_limit("MAX_IMPORT_ITEMS", settings.MAX_IMPORT_ITEMS, len(body), "Number of items")
    ids = JobRepository(session).create_many(body)
    return ImportResult(created=len(ids), ids=ids)


@router.get(
    "/{job_id}", response_model=JobRead, summary="Get a job", responses=error_responses(404)
)
def get_job(job_id: int, session: SessionDep) -> JobRead:
    """One job by id."""
    try:
        return JobRead.model_validate(JobRepository(session).require(job_id))
    except NotFoundError as error:
        raise not_found(error) from None


@router.patch(
    "/{job_id}", response_model=JobRead, summary="Update a job",
    responses=error_responses(404, 413),
)
def update_job(job_id: int, body: JobUpdate, session: SessionDep) -> JobRead:
    """Change the fields sent; the merged salary range must stay valid (422)."""
    try:
        return JobRead.model_validate(JobRepository(session).update(job_id, body))
    except NotFoundError as error:
        raise not_found(error) from None
    except InvalidChangesError as error:
        raise invalid_field(error.field, error.message, error.value) from None


@router.delete(
    "/{job_id}", status_code=204, response_class=Response, summary="Delete a job",
    responses=error_responses(404),
)
def delete_job(job_id: int, session: SessionDep) -> Response:
    """Delete a job for good."""
    try:
        JobRepository(session).delete(job_id)
    except NotFoundError as error:
        raise not_found(error) from None
    return Response(status_code=204)
