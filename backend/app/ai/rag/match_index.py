"""In-memory indexes over jobs and candidates, and the per-row facts matching reads.

`JobIndex` / `CandidateIndex` turn rows into flat columns (levels, remote flags,
location keys, salaries), an inverted skill index with rarity weights and a BM25 text
index, once; the shortlist stage (`app.ai.chains.shortlist`) then ranks against them in
milliseconds. Both accept any object with the right attributes (ORM rows, API models).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from app.ai.rag.bm25 import Bm25Index
from app.ai.rag.text import content_terms
from app.models.common import Seniority

SALARY_UNKNOWN = 0.5


class JobLike(Protocol):
    """What shortlisting reads from a job (Job, JobRead or any look-alike)."""

    id: Any
    title: str
    location: str | None
    remote: bool
    salary_min: int | None
    salary_max: int | None
    currency: str
    description: str
    required_skills: list[str]
    seniority: Any


class CandidateLike(Protocol):
    """What shortlisting reads from a candidate (Candidate, CandidateRead, ...)."""

    id: Any
    headline: str
    skills: list[str]
    years_experience: int
    resume_text: str
    desired_locations: list[str]
    remote_only: bool
    min_salary: int | None
    currency: str
    desired_seniority: Any


JobT = TypeVar("JobT", bound=JobLike)
CandidateT = TypeVar("CandidateT", bound=CandidateLike)


def location_key(location: str | None) -> str:
    """Comparable form of a location: its first comma part, case-folded ("Berlin")."""
    return (location or "").split(",")[0].strip().casefold()


def level_of(seniority: Any) -> int:
    """0..4 for junior..principal."""
    return Seniority(seniority).level


def candidate_level(candidate: CandidateLike) -> int:
    """Desired seniority, or the one the candidate's years of experience suggest."""
    if candidate.desired_seniority:
        return level_of(candidate.desired_seniority)
    return Seniority.from_years(candidate.years_experience).level


def job_offer(job: JobLike) -> int | None:
    """The most the job pays (top of the range, else its bottom)."""
    return job.salary_max if job.salary_max is not None else job.salary_min


def salary_fit(minimum: int | None, min_currency: str, offer: int | None, currency: str) -> float:
    """1 when the offer reaches the minimum, falling to 0 at half of it; 0.5 when unknown."""
    if minimum is None or minimum <= 0:
        return 1.0
    if offer is None or currency != min_currency:
        return SALARY_UNKNOWN
    return 1.0 if offer >= minimum else max(0.0, 1.0 - 2.0 * (minimum - offer) / minimum)


def skill_weights(skill_lists: Sequence[Sequence[str]]) -> dict[str, float]:
    """Rarer skills weigh more: 1 + ln(1 + N / df)."""
    df: dict[str, int] = {}
    for skills in skill_lists:
        for skill in skills:
            df[skill] = df.get(skill, 0) + 1
    n = len(skill_lists)
    return {skill: 1.0 + math.log(1 + n / count) for skill, count in df.items()}


def skill_postings_of(skill_lists: Sequence[Sequence[str]]) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = {}
    for position, skills in enumerate(skill_lists):
        for skill in skills:
            postings.setdefault(skill, []).append(position)
    return postings


def job_terms(job: JobLike) -> list[str]:
    """Text the job is matched on: title (twice, it matters most), skills, description."""
    return content_terms(f"{job.title} {job.title} {' '.join(job.required_skills)} {job.description}")


def candidate_terms(candidate: CandidateLike) -> list[str]:
    """Text a candidate is matched on: headline, skills, résumé."""
    return content_terms(
        f"{candidate.headline} {' '.join(candidate.skills)} {candidate.resume_text}"
    )


class JobIndex(Generic[JobT]):
    """Jobs prepared for shortlisting; immutable, safe to share between threads."""

    def __init__(self, jobs: Sequence[JobT]) -> None:
        self.items: list[JobT] = list(jobs)
        skill_lists = [list(job.required_skills) for job in self.items]
        self.skill_weight = skill_weights(skill_lists)
        self.skill_postings = skill_postings_of(skill_lists)
        totals = [sum(self.skill_weight[s] for s in skills) for skills in skill_lists]
        self.inverse_required = [1.0 / total if total else 0.0 for total in totals]
        self.levels = [level_of(job.seniority) for job in self.items]
        self.remote = [bool(job.remote) for job in self.items]
        self.location_keys = [location_key(job.location) for job in self.items]
        self.offers = [job_offer(job) for job in self.items]
        self.currencies = [job.currency for job in self.items]
        self.text = Bm25Index([job_terms(job) for job in self.items])

    @classmethod
    def build(cls, jobs: Sequence[JobT]) -> JobIndex[JobT]:
        """Index `jobs` (the costly step: do it once per data version)."""
        return cls(jobs)

    def __len__(self) -> int:
        return len(self.items)


class CandidateIndex(Generic[CandidateT]):
    """Candidates prepared for shortlisting; immutable, safe to share between threads."""

    def __init__(self, candidates: Sequence[CandidateT]) -> None:
        self.items: list[CandidateT] = list(candidates)
        skill_lists = [list(candidate.skills) for candidate in self.items]
        self.skill_weight = skill_weights(skill_lists)
        self.skill_postings = skill_postings_of(skill_lists)
        self.levels = [candidate_level(candidate) for candidate in self.items]
        self.remote_only = [bool(candidate.remote_only) for candidate in self.items]
        self.location_sets = [
            frozenset(location_key(p) for p in candidate.desired_locations) - {""}
            for candidate in self.items
        ]
        self.minimums = [candidate.min_salary for candidate in self.items]
        self.currencies = [candidate.currency for candidate in self.items]
        self.text = Bm25Index([candidate_terms(candidate) for candidate in self.items])

    @classmethod
    def build(cls, candidates: Sequence[CandidateT]) -> CandidateIndex[CandidateT]:
        """Index `candidates` (the costly step: do it once per data version)."""
        return cls(candidates)

    def __len__(self) -> int:
        return len(self.items)
