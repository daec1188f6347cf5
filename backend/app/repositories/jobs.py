"""Jobs data access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.models import Job, JobCreate, JobUpdate, Seniority, normalise_skills
from app.repositories.base import Repository, contains_text, json_array_contains
from app.repositories.errors import InvalidChangesError


@dataclass(frozen=True)
class JobFilters:
    """List filters; every one given must hold (skills: all of them required)."""

    q: str | None = None
    remote: bool | None = None
    seniority: Seniority | None = None
    skills: Sequence[str] = field(default_factory=tuple)


def check_salary_range(salary_min: int | None, salary_max: int | None) -> None:
    """Raise InvalidChangesError when the range is inverted."""
    if salary_min is not None and salary_max is not None and salary_min > salary_max:
        raise InvalidChangesError(
            "salary_max",
            f"salary_max ({salary_max}) must be at least salary_min ({salary_min})",
            salary_max,
        )


class JobRepository(Repository[Job]):
    """CRUD, filtered paging and bulk import of jobs."""

    model = Job
    entity = "Job"

    def create(self, data: JobCreate) -> Job:
        """Insert one job."""
        job = Job(**data.model_dump())
        self.session.add(job)
        self.session.commit()
        return job

    def create_many(self, items: Sequence[JobCreate]) -> list[int]:
        """Insert every job or none; the new ids in input order."""
        return self._add_all([Job(**item.model_dump()) for item in items])

    def update(self, job_id: int, data: JobUpdate | dict[str, Any]) -> Job:
        """Apply the sent fields; the merged salary range must still be valid."""
        job = self.require(job_id)
        changes = data.changes() if isinstance(data, JobUpdate) else dict(data)
        check_salary_range(
            changes.get("salary_min", job.salary_min), changes.get("salary_max", job.salary_max)
        )
        return self._apply(job, changes)

    def page(self, filters: JobFilters, limit: int = 20, offset: int = 0) -> tuple[list[Job], int]:
        """A newest-first page of matching jobs and the number of matches."""
        conditions = []
        if filters.q and filters.q.strip():
            conditions.append(contains_text([Job.title, Job.company, Job.description], filters.q))
        if filters.remote is not None:
            conditions.append(Job.remote == filters.remote)  # type: ignore[arg-type]
        if filters.seniority is not None:
            conditions.append(Job.seniority == filters.seniority)  # type: ignore[arg-type]
        for skill in normalise_skills(list(filters.skills)):
            conditions.append(json_array_contains(self.session, Job.required_skills, skill))
        return self._page(conditions, limit, offset)
