"""SQLModel tables and API schemas. Importing this package registers every table."""

from app.models.api_key import ApiKey
from app.models.candidate import Candidate, CandidateCreate, CandidateRead, CandidateUpdate
from app.models.common import (
    ErrorResponse,
    ImportResult,
    LimitErrorResponse,
    Page,
    Seniority,
    normalise_skills,
    utcnow,
)
from app.models.conversation import Conversation, Message, MessageRole
from app.models.data_version import VERSIONED_TABLES, DataVersion
from app.models.document import (
    ChunkRead,
    Document,
    DocumentChunk,
    DocumentCreate,
    DocumentRead,
    DocumentUpdate,
)
from app.models.job import Job, JobCreate, JobRead, JobUpdate
from app.models.quality import AIFeedback, EvalResult, ResponseCacheEntry
from app.models.usage import UsageRecord

__all__ = [
    "VERSIONED_TABLES",
    "AIFeedback",
    "ApiKey",
    "Candidate",
    "CandidateCreate",
    "CandidateRead",
    "CandidateUpdate",
    "ChunkRead",
    "Conversation",
    "DataVersion",
    "Document",
    "DocumentChunk",
    "DocumentCreate",
    "DocumentRead",
    "DocumentUpdate",
    "ErrorResponse",
    "EvalResult",
    "ImportResult",
    "Job",
    "JobCreate",
    "JobRead",
    "JobUpdate",
    "LimitErrorResponse",
    "Message",
    "MessageRole",
    "Page",
    "ResponseCacheEntry",
    "Seniority",
    "UsageRecord",
    "normalise_skills",
    "utcnow",
]
