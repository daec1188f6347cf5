"""Per-row facts matching reads, as flat columns, and whole-catalogue in-memory indexes.

`JobColumns` / `CandidateColumns` turn rows into flat columns (levels, remote flags,
location keys, salaries) and an inverted skill index under given rarity weights: the
request path builds them over the few hundred rows the database retrieved
(`app.ai.chains.stage_one`). `JobIndex` / `CandidateIndex` do the same over a whole
catalogue in memory, with weights and BM25 of their own: the pre-database shortlist,
kept as the reference the quality benchmark compares against. All accept any object
with the right attributes (ORM rows, API models).
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


def rarity_weight(rows: int, df: int) -> float:
    """Rarer skills weigh more: 1 + ln(1 + N / df)."""
    return 1.0 + math.log(1 + rows / df)


def skill_weights(skill_lists: Sequence[Sequence[str]]) -> dict[str, float]:
    """`rarity_weight` of every skill listed in `skill_lists`."""
    df: dict[str, int] = {}
    for skills in skill_lists:
        for skill in skills:
            df[skill] = df.get(skill, 0) + 1
    n = len(skill_lists)
    return {skill: rarity_weight(n, count) for skill, count in df.items()}


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


class JobColumns(Generic[JobT]):
    """Jobs as flat columns plus an inverted skill index, under given rarity weights.

    Cheap (no text index): stage two builds one over a few hundred retrieved jobs with
    weights from the database's `skill_stats`; `JobIndex` adds BM25 for whole-catalogue
    in-memory use (tests, the quality baseline).
    """

    def __init__(self, jobs: Sequence[JobT], skill_weight: dict[str, float]) -> None:
        self.items: list[JobT] = list(jobs)
        skill_lists = [list(job.required_skills) for job in self.items]
        self.skill_weight = skill_weight
        self.skill_postings = skill_postings_of(skill_lists)
        totals = [sum(skill_weight.get(s, 0.0) for s in skills) for skills in skill_lists]
        self.inverse_required = [1.0 / total if total else 0.0 for total in totals]
        self.levels = [level_of(job.seniority) for job in self.items]
        self.remote = [bool(job.remote) for job in self.items]
        self.location_keys = [location_key(job.location) for job in self.items]
        self.offers = [job_offer(job) for job in self.items]
        self.currencies = [job.currency for job in self.items]

    def __len__(self) -> int:
        return len(self.items)


class JobIndex(JobColumns[JobT]):
    """Every job in memory, with rarity weights and BM25 computed over them."""

    def __init__(self, jobs: Sequence[JobT]) -> None:
        items = list(jobs)
        super().__init__(items, skill_weights([list(job.required_skills) for job in items]))
        self.text = Bm25Index([job_terms(job) for job in self.items])

    @classmethod
    def build(cls, jobs: Sequence[JobT]) -> JobIndex[JobT]:
        """Index `jobs` (the costly step: do it once per data version)."""
        return cls(jobs)


class CandidateColumns(Generic[CandidateT]):
    """Candidates as flat columns plus an inverted skill index (see `JobColumns`)."""

    def __init__(self, candidates: Sequence[CandidateT], skill_weight: dict[str, float]) -> None:
        self.items: list[CandidateT] = list(candidates)
        self.skill_weight = skill_weight
        self.skill_postings = skill_postings_of([list(c.skills) for c in self.items])
        self.levels = [candidate_level(candidate) for candidate in self.items]
        self.remote_only = [bool(candidate.remote_only) for candidate in self.items]
        self.location_sets = [
            frozenset(location_key(p) for p in candidate.desired_locations) - {""}
            for candidate in self.items
        ]
        self.minimums = [candidate.min_salary for candidate in self.items]
        self.currencies = [candidate.currency for candidate in self.items]

    def __len__(self) -> int:
        return len(self.items)


class CandidateIndex(CandidateColumns[CandidateT]):
    """Every candidate in memory, with rarity weights and BM25 computed over them."""

    def __init__(self, candidates: Sequence[CandidateT]) -> None:
        items = list(candidates)
        super().__init__(items, skill_weights([list(c.skills) for c in items]))
        self.text = Bm25Index([candidate_terms(candidate) for candidate in self.items])

    @classmethod
    def build(cls, candidates: Sequence[CandidateT]) -> CandidateIndex[CandidateT]:
        """Index `candidates` (the costly step: do it once per data version)."""
        return cls(candidates)
