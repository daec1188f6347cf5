"""Data access. Repositories take a session and commit their own writes."""

from app.repositories.candidates import CandidateFilters, CandidateRepository
from app.repositories.conversations import ConversationRepository
from app.repositories.documents import DocumentRepository
from app.repositories.errors import InvalidChangesError, NotFoundError
from app.repositories.jobs import JobFilters, JobRepository

__all__ = [
    "CandidateFilters",
    "CandidateRepository",
    "ConversationRepository",
    "DocumentRepository",
    "InvalidChangesError",
    "JobFilters",
    "JobRepository",
    "NotFoundError",
]
