"""Candidates data access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.models import Candidate, CandidateCreate, CandidateUpdate, normalise_skills
from app.repositories.base import Repository, contains_text, json_array_contains


@dataclass(frozen=True)
class CandidateFilters:
    """List filters; every one given must hold (skills: all of them required)."""

    q: str | None = None
    skills: Sequence[str] = field(default_factory=tuple)


class CandidateRepository(Repository[Candidate]):
    """CRUD, filtered paging and bulk import of candidates."""

    model = Candidate
    entity = "Candidate"

    def create(self, data: CandidateCreate) -> Candidate:
        """Insert one candidate."""
        candidate = Candidate(**data.model_dump())
        self.session.add(candidate)
        self.session.commit()
        return candidate

    def create_many(self, items: Sequence[CandidateCreate]) -> list[int]:
        """Insert every candidate or none; the new ids in input order."""
        return self._add_all([Candidate(**item.model_dump()) for item in items])

    def update(self, candidate_id: int, data: CandidateUpdate | dict[str, Any]) -> Candidate:
        """Apply the sent fields."""
        candidate = self.require(candidate_id)
        changes = data.changes() if isinstance(data, CandidateUpdate) else dict(data)
        return self._apply(candidate, changes)

    def page(
        self, filters: CandidateFilters, limit: int = 20, offset: int = 0
    ) -> tuple[list[Candidate], int]:
        """A newest-first page of matching candidates and the number of matches."""
        conditions = []
        if filters.q and filters.q.strip():
            columns = [Candidate.name, Candidate.headline, Candidate.resume_text]
            conditions.append(contains_text(columns, filters.q))
        for skill in normalise_skills(list(filters.skills)):
            conditions.append(json_array_contains(self.session, Candidate.skills, skill))
        return self._page(conditions, limit, offset)
