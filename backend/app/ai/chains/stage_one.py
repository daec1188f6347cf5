"""Stage one of recommendations and matching over the current database: retrieve, re-score.

1. Rarity weights of the subject's skills: primary-key look-ups in `skill_stats`.
2. A bounded candidate set (a few hundred rows) from the database's own indexes
   (`app.ai.rag.match_search`), read in the same statement.
3. Those rows only are re-scored with the same features as ever (skill rarity,
   seniority distance, location/remote, salary fit, text relevance) by
   `app.ai.chains.shortlist`.

Nothing here holds state between requests and nothing grows with the catalogue: every
query reads the committed data, so a write is visible to the next request, and a
worker's memory is the same at a thousand rows as at a million.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ai.chains.shortlist import ScoredCandidate, ScoredJob, rank_candidates, rank_jobs
from app.ai.rag.match_index import CandidateColumns, JobColumns, rarity_weight
from app.ai.rag.match_search import (
    MatchSearch,
    SearchRequest,
    candidate_request,
    job_request,
    match_search_for,
    skill_frequencies,
)
from app.models import Candidate, CandidateRead, Job, JobRead


def _weights(session: Session, kind: str, skills: Iterable[str]) -> tuple[int, dict[str, float]]:
    stats = skill_frequencies(session, kind, list(dict.fromkeys(skills)))
    return stats.rows, {skill: rarity_weight(stats.rows, df) for skill, df in stats.df.items()}


@dataclass(slots=True)
class _SlimJob:
    """What re-scoring reads of a pooled job: a `JobLike` without its long text.

    Why not `JobRead.model_construct`: a pool is a few hundred rows per request, and
    building pydantic models from mappings cost more than scoring them (~10 µs a row).
    """

    id: int
    title: str
    location: str | None
    remote: bool
    salary_min: int | None
    salary_max: int | None
    currency: str
    required_skills: list[str]
    seniority: Any
    description: str = ""


@dataclass(slots=True)
class _SlimCandidate:
    """What re-scoring reads of a pooled candidate: a `CandidateLike` without the résumé."""

    id: int
    headline: str
    skills: list[str]
    years_experience: int
    desired_locations: list[str]
    remote_only: bool
    min_salary: int | None
    currency: str
    desired_seniority: Any
    resume_text: str = ""


def _pool(
    search: MatchSearch, kind: Literal["jobs", "candidates"], request: SearchRequest, table: Any, slim: Any
) -> tuple[list[Any], dict[int, float]]:
    """Stage one's pool as `slim` rows, newest first (so equal scores rank the newest
    first), and each row's text relevance: retrieval and the read in one statement.
    Rows come back as `(relevance, id, ...)`: `id` is each slim class's first field."""
    columns = [table.c[f.name] for f in fields(slim) if f.name not in ("description", "resume_text")]
    rows = search.pool(kind, request, columns)
    return [slim(*row[1:]) for row in rows], {int(row[1]): float(row[0]) for row in rows}


def _full(session: Session, model: Any, read: Any, ids: list[int]) -> list[Any]:
    rows = {row.id: row for row in session.execute(sa.select(model).where(model.id.in_(ids))).scalars()}
    return [read.model_validate(rows[i]) for i in ids]


def jobs_for_candidate(session: Session, candidate: CandidateRead, n: int) -> list[ScoredJob[JobRead]]:
    """The `n` best jobs for `candidate` in the database, best first, with reasons.

    Two passes: the pool is scored on slim rows (newest first, so equal scores rank the
    newest job first); only the chosen `n` are read in full and explained.
    """
    if n <= 0:
        return []
    _, weights = _weights(session, "jobs", candidate.skills)
    table: Any = Job.__table__  # type: ignore[attr-defined]
    slim, found = _pool(match_search_for(session), "jobs", job_request(candidate, weights), table, _SlimJob)
    missing = {s for job in slim for s in job.required_skills} - weights.keys()
    if missing:
        weights.update(_weights(session, "jobs", missing)[1])
    text = [found.get(job.id, 0.0) for job in slim]
    text_max = max(text, default=0.0)
    pool = JobColumns(slim, weights)
    chosen = [r.job.id for r in rank_jobs(candidate, pool, text, text_max, n, explain=False)]
    jobs = _full(session, Job, JobRead, chosen)
    chosen_text = [found.get(i, 0.0) for i in chosen]
    return rank_jobs(candidate, JobColumns(jobs, weights), chosen_text, text_max, n)


def candidates_for_job(
    session: Session, job: JobRead, n: int
) -> list[ScoredCandidate[CandidateRead]]:
    """The `n` best candidates for `job` in the database, best first, strengths and gaps."""
    if n <= 0:
        return []
    population, weights = _weights(session, "candidates", job.required_skills)
    table: Any = Candidate.__table__  # type: ignore[attr-defined]
    request = candidate_request(job, weights)
    slim, found = _pool(match_search_for(session), "candidates", request, table, _SlimCandidate)
    text = [found.get(person.id, 0.0) for person in slim]
    text_max = max(text, default=0.0)
    pool = CandidateColumns(slim, weights)
    ranked = rank_candidates(job, pool, text, text_max, n, population, explain=False)
    chosen = [r.candidate.id for r in ranked]
    people = _full(session, Candidate, CandidateRead, chosen)
    chosen_text = [found.get(i, 0.0) for i in chosen]
    return rank_candidates(job, CandidateColumns(people, weights), chosen_text, text_max, n, population)
