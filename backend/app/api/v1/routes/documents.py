"""`/api/v1/documents`: the knowledge base (CRUD, bulk import) and its full-text search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.ai.rag.retrieval import MAX_K, retrieve
from app.api.deps import SettingsDep
from app.core.config import Settings
from app.db import SessionDep
from app.models import (
    ChunkRead,
    DocumentCreate,
    DocumentRead,
    DocumentUpdate,
    ImportResult,
    Page,
)
from app.models.http import BodyLimitRoute, check_limit, error_responses, not_found
from app.repositories import DocumentRepository, NotFoundError

router = APIRouter(prefix="/documents", tags=["documents"], route_class=BodyLimitRoute)

Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip (at most 1,000,000).")]


def _check_bodies(settings: Settings, bodies: Iterable[str | None]) -> None:
    longest = max((len(body) for body in bodies if body), default=0)
    check_limit("MAX_DOCUMENT_CHARS", settings.MAX_DOCUMENT_CHARS, longest, "Document body length")


@router.post(
    "", status_code=201, response_model=DocumentRead, summary="Create a document",
    responses=error_responses(413),
)
def create_document(
    body: DocumentCreate, session: SessionDep, settings: SettingsDep
) -> DocumentRead:
    """Store a document and index its chunks for search (body ≤ MAX_DOCUMENT_CHARS, else 413)."""
    _check_bodies(settings, [body.body])
    repository = DocumentRepository(session)
    return repository.to_read([repository.create(body)])[0]


@router.get("", response_model=Page[DocumentRead], summary="List documents")
def list_documents(
    session: SessionDep,
    limit: Limit = 20,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=200, description="Text in the title.")] = None,
) -> Page[DocumentRead]:
    """Newest first; `total` counts every match across pages."""
    repository = DocumentRepository(session)
    rows, total = repository.page(q, limit, offset)
    return Page[DocumentRead](items=repository.to_read(rows), total=total, limit=limit, offset=offset)


@router.get("/search", response_model=list[ChunkRead], summary="Search document passages")
def search_documents(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="Words to look for.")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages.")] = 5,
) -> list[ChunkRead]:
    """Full-text search over chunks, best first; `[]` when nothing matches."""
    return [ChunkRead(**vars(chunk)) for chunk in retrieve(session, q, k)]


@router.post(
    "/import", status_code=201, response_model=ImportResult, summary="Import documents in bulk",
    responses=error_responses(413),
)
def import_documents(
    body: list[DocumentCreate], session: SessionDep, settings: SettingsDep
) -> ImportResult:
    """Create every document of the list or none (at most MAX_IMPORT_ITEMS)."""
    check_limit("MAX_IMPORT_ITEMS", settings.MAX_IMPORT_ITEMS, len(body), "Number of items")
    _check_bodies(settings, (item.body for item in body))
    ids = DocumentRepository(session).create_many(body)
    return ImportResult(created=len(ids), ids=ids)


@router.get(
    "/{document_id}", response_model=DocumentRead, summary="Get a document",
    responses=error_responses(404),
)
def get_document(document_id: int, session: SessionDep) -> DocumentRead:
    """One document by id, with its number of chunks."""
    repository = DocumentRepository(session)
    try:
        return repository.to_read([repository.require(document_id)])[0]
    except NotFoundError as error:
        raise not_found(error) from None


@router.patch(
    "/{document_id}", response_model=DocumentRead, summary="Update a document",
    responses=error_responses(404, 413),
)
def update_document(
    document_id: int, body: DocumentUpdate, session: SessionDep, settings: SettingsDep
) -> DocumentRead:
    """Change the fields sent; a new body is re-chunked and re-indexed."""
    _check_bodies(settings, [body.body])
    repository = DocumentRepository(session)
    try:
        return repository.to_read([repository.update(document_id, body)])[0]
    except NotFoundError as error:
        raise not_found(error) from None


@router.delete(
    "/{document_id}", status_code=204, response_class=Response, summary="Delete a document",
    responses=error_responses(404),
)
def delete_document(document_id: int, session: SessionDep) -> Response:
    """Delete a document and its chunks (they leave the search index too)."""
    try:
        DocumentRepository(session).delete(document_id)
    except NotFoundError as error:
        raise not_found(error) from None
    return Response(status_code=204)
