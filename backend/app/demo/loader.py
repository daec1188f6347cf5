"""Demo data: the JSON import format, the built-in demo set, and loading it once.

The import format is one JSON object:

    {"format": "tandem-import", "version": 1,
     "jobs": [JobCreate...], "candidates": [CandidateCreate...], "documents": [DocumentCreate...]}

Each item has exactly the fields of the matching `POST /api/v1/...` body, validated the
same way, so a file that imports here would also import through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field
from sqlmodel import Session

from app.demo.generator import DEFAULT_SEED, generate_candidates, generate_jobs
from app.models import CandidateCreate, DocumentCreate, JobCreate
from app.models.common import StrictModel
from app.repositories import CandidateRepository, DocumentRepository, JobRepository

DEMO_JOBS = 300
DEMO_CANDIDATES = 300
KNOWLEDGE_PACKAGE = "app.demo.knowledge"


class ImportFile(StrictModel):
    """A data set to load in one transaction per entity kind."""

    format: Literal["tandem-import"] = "tandem-import"
    version: Literal[1] = 1
    jobs: list[JobCreate] = Field(default_factory=list)
    candidates: list[CandidateCreate] = Field(default_factory=list)
    documents: list[DocumentCreate] = Field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """How many rows of each kind were created."""

    jobs: int
    candidates: int
    documents: int


def demo_documents() -> list[DocumentCreate]:
    """The knowledge-base articles shipped in app/demo/knowledge/*.md (title = first heading)."""
    documents = []
    for entry in sorted(resources.files(KNOWLEDGE_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".md"):
            continue
        text = entry.read_text(encoding="utf-8")
        heading, _, body = text.partition("\n")
        documents.append(
            DocumentCreate(
                title=heading.lstrip("# ").strip(),
                body=body.strip(),
                source=f"tandem-handbook/{entry.name}",
            )
        )
    return documents


def demo_dataset(
    jobs: int = DEMO_JOBS, candidates: int = DEMO_CANDIDATES, seed: int = DEFAULT_SEED
) -> ImportFile:
    """The deterministic demo data set."""
    return ImportFile(
        jobs=generate_jobs(jobs, seed),
        candidates=generate_candidates(candidates, seed),
        documents=demo_documents(),
    )


def is_empty(session: Session) -> bool:
    """True when there is no job, candidate or document yet."""
    return not any(
        repository(session).count()
        for repository in (JobRepository, CandidateRepository, DocumentRepository)
    )


def import_data(session: Session, data: ImportFile) -> ImportReport:
    """Create every item of `data` (each kind all-or-nothing)."""
    return ImportReport(
        jobs=len(JobRepository(session).create_many(data.jobs)),
        candidates=len(CandidateRepository(session).create_many(data.candidates)),
        documents=len(DocumentRepository(session).create_many(data.documents)),
    )


def load_demo_data(session: Session, data: ImportFile | None = None) -> ImportReport | None:
    """Load the demo set (or `data`) when the database is empty; None when it was not.

    Idempotent: running it again, or on a database that already has data, changes nothing.
    """
    if not is_empty(session):
        return None
    return import_data(session, data or demo_dataset())


def read_import_file(path: str | Path) -> ImportFile:
    """Parse and validate an import file (pydantic.ValidationError says what is wrong)."""
    return ImportFile.model_validate_json(Path(path).read_bytes())


def write_import_file(path: str | Path, data: ImportFile) -> None:
    """Write `data` in the import format (e.g. to hand-edit the demo set)."""
    Path(path).write_text(data.model_dump_json(indent=2), encoding="utf-8")
