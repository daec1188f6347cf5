"""The versioned API: each feature's routes live in their own module under `routes/`."""

from fastapi import APIRouter, Depends

from app.api.deps import bind_client_id
from app.api.v1.routes import (
    ai,
    ai_status,
    assistant,
    candidates,
    cover_letters,
    documents,
    jobs,
    matching,
    qa,
    recommendations,
)
from app.security import AUTH_RESPONSES, authenticate, limit_ai_calls

# Every route below requires an API key (admin scope for operations routes) and AI
# routes are rate limited per client: see app/security/policy.py and docs/SECURITY.md.
api_router = APIRouter(
    dependencies=[Depends(authenticate), Depends(limit_ai_calls), Depends(bind_client_id)],
    responses=AUTH_RESPONSES,
)
api_router.include_router(jobs.router)
api_router.include_router(candidates.router)
api_router.include_router(documents.router)
api_router.include_router(ai_status.router)
api_router.include_router(ai.router)
api_router.include_router(recommendations.router)
api_router.include_router(matching.router)
api_router.include_router(qa.router)
api_router.include_router(assistant.router)
api_router.include_router(cover_letters.router)
