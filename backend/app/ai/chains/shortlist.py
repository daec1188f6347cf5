"""Local shortlisting: rank jobs for a candidate (or candidates for a job) without an LLM.

The score (0..1) is a weighted sum of five components, each in 0..1:
skill coverage of the job's required skills (rarer skills weigh more), seniority
distance, location/remote compatibility, salary compatibility and BM25 text relevance.
Every ranked item comes with rule-based, human-readable reasons.

Speed: `JobIndex.build` / `CandidateIndex.build` (app/ai/rag/match_index.py) precompute
everything per row once (flat columns, inverted skill and text indexes); a shortlist is
then postings walks, one pass over the rows and a bounded search for the top n (see
`_rank`): a few milliseconds of CPU over 10,000 rows. Build an index once and reuse it;
for the current database contents use `app.repositories.index_cache.index_cache`, which rebuilds only
when data changed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic

from app.ai.rag.bm25 import Bm25Index
from app.ai.rag.match_index import (
    CandidateIndex,
    CandidateLike,
    CandidateT,
    JobIndex,
    JobLike,
    JobT,
    candidate_level,
    candidate_terms,
    job_offer,
    job_terms,
    level_of,
    location_key,
    salary_fit,
)
from app.ai.rag.text import content_terms
from app.models.common import SENIORITY_ORDER, Seniority

__all__ = [
    "WEIGHTS",
    "CandidateIndex",
    "JobIndex",
    "ScoredCandidate",
    "ScoredJob",
    "salary_fit",
    "shortlist_candidates",
    "shortlist_jobs",
]

WEIGHTS: dict[str, float] = {
    "skills": 0.40,
    "seniority": 0.20,
    "text": 0.15,
    "location": 0.15,
    "salary": 0.10,
}
#: Seniority component by distance in levels (0 = same level).
SENIORITY_FIT: tuple[float, ...] = (1.0, 0.6, 0.2, 0.0, 0.0)
LOCATION_MATCH, LOCATION_UNSTATED, LOCATION_MISMATCH = 1.0, 0.5, 0.1
QUERY_TERMS = 16
LISTED_SKILLS = 5


@dataclass(frozen=True)
class ScoredJob(Generic[JobT]):
    """A job ranked for a candidate."""

    job: JobT
    score: float
    reasons: list[str]
    components: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredCandidate(Generic[CandidateT]):
    """A candidate ranked for a job: what fits (strengths) and what does not (gaps)."""

    candidate: CandidateT
    score: float
    strengths: list[str]
    gaps: list[str]
    components: dict[str, float] = field(default_factory=dict)


# --- small shared helpers ------------------------------------------------------------


def _money(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}"


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LISTED_SKILLS])
    return shown + (", …" if len(items) > LISTED_SKILLS else "")


def _fit_table(wanted_level: int) -> list[float]:
    """Seniority component of each level 0..4 against `wanted_level`."""
    return [SENIORITY_FIT[abs(level - wanted_level)] for level in range(5)]


#: The three components computed per item: seniority, location, salary fit of item i.
Rest = Callable[[int], tuple[float, float, float]]


def _rank(
    n: int,
    skills: list[float],
    text: list[float],
    text_max: float,
    seniority: tuple[list[int], list[float]],
    rest: Rest,
) -> list[tuple[int, float]]:
    """(position, score) of the best `n` items, best first (ties: lower position first).

    Skills, text and seniority are cheap to compute for every item (postings walks,
    table look-ups) and form a `partial` score; location and salary together add at most
    their weights' sum. So: score the n best partials fully, which gives a floor under
    the n-th best score, and only the items whose partial plus that bound reaches the
    floor can make the shortlist: usually a few hundred of 10,000.
    """
    ws, we, wl, wy = (WEIGHTS[k] for k in ("skills", "seniority", "location", "salary"))
    scale = WEIGHTS["text"] / text_max if text_max > 0 else 0.0
    levels, fit = seniority
    level_score = [we * value for value in fit]
    partial = [
        ws * a + scale * t + level_score[level]
        for a, t, level in zip(skills, text, levels, strict=True)
    ]

    def full(i: int) -> float:
        _, location, salary = rest(i)
        return partial[i] + wl * location + wy * salary

    seeds = heapq.nlargest(n, range(len(partial)), key=partial.__getitem__)
    floor = min(full(i) for i in seeds) - (wl + wy) - 1e-9
    pool = [i for i, value in enumerate(partial) if value >= floor]
    best = heapq.nlargest(n, ((full(i), -i) for i in pool))
    return [(-negative, total) for total, negative in best]


def _components(skills: float, rest: tuple[float, float, float], text: float) -> dict[str, float]:
    values = dict(zip(("seniority", "location", "salary"), rest, strict=True))
    values.update(skills=skills, text=text)
    return {name: round(value, 4) for name, value in values.items()}


# --- jobs for a candidate --------------------------------------------------------------


def _job_rest(candidate: CandidateLike, index: JobIndex[Any]) -> Rest:
    fit = _fit_table(candidate_level(candidate))
    levels, remote, keys = index.levels, index.remote, index.location_keys
    offers, currencies = index.offers, index.currencies
    remote_only = candidate.remote_only
    wanted = {location_key(place) for place in candidate.desired_locations} - {""}
    minimum, currency = candidate.min_salary, candidate.currency

    def rest(i: int) -> tuple[float, float, float]:
        if remote[i]:
            location = LOCATION_MATCH
        elif remote_only:
            location = 0.0
        elif not wanted:
            location = LOCATION_UNSTATED
        else:
            location = LOCATION_MATCH if keys[i] in wanted else LOCATION_MISMATCH
        return fit[levels[i]], location, salary_fit(minimum, currency, offers[i], currencies[i])

    return rest


def _shared_terms(text: Bm25Index, item_terms: list[str], query: set[str], skills: Any) -> list[str]:
    """Telling words the item and the query share, beyond the skills already reported."""
    skill_words = {word for skill in skills for word in content_terms(skill)}
    return text.distinctive(t for t in item_terms if t in query and t not in skill_words)


def _job_reasons(candidate: CandidateLike, job: JobLike, shared: list[str]) -> list[str]:
    reasons: list[str] = []
    have = set(candidate.skills)
    matched = [s for s in job.required_skills if s in have]
    missing = [s for s in job.required_skills if s not in have]
    total = len(job.required_skills)
    if not total:
        reasons.append("No required skills listed")
    elif matched:
        reasons.append(f"Matches {len(matched)} of {total} required skills: {_listing(matched)}")
    else:
        reasons.append(f"Matches none of the {total} required skills")
    if missing and matched:
        reasons.append(f"Missing required skills: {_listing(missing)}")
    job_level, wanted = Seniority(job.seniority), SENIORITY_ORDER[candidate_level(candidate)]
    verb = "matches" if job_level == wanted else "vs"
    reasons.append(f"Seniority {job_level.value} {verb} desired {wanted.value}")
    wanted_places = [p for p in candidate.desired_locations if location_key(p)]
    if job.remote:
        reasons.append(
            "Remote role matches remote-only preference" if candidate.remote_only else "Remote role"
        )
    elif candidate.remote_only:
        reasons.append(f"On-site in {job.location or 'an unstated location'}, but remote-only")
    elif any(location_key(p) == location_key(job.location) for p in wanted_places):
        reasons.append(f"Located in {job.location}, a desired location")
    elif wanted_places:
        reasons.append(f"Located in {job.location}, not in desired {_listing(wanted_places)}")
    offer = job_offer(job)
    if candidate.min_salary:
        if offer is None:
            reasons.append("Salary not disclosed")
        elif job.currency != candidate.currency:
            reasons.append(f"Pays in {job.currency}; minimum is in {candidate.currency}")
        elif offer >= candidate.min_salary:
            reasons.append(
                f"Pays up to {_money(offer, job.currency)}, meets minimum "
                f"{_money(candidate.min_salary, candidate.currency)}"
            )
        else:
            reasons.append(
                f"Pays up to {_money(offer, job.currency)}, below minimum "
                f"{_money(candidate.min_salary, candidate.currency)}"
            )
    if shared:
        reasons.append(f"Description echoes the résumé: {_listing(shared)}")
    return reasons


def shortlist_jobs(
    candidate: CandidateLike, jobs: JobIndex[JobT] | Sequence[JobT], n: int = 10
) -> list[ScoredJob[JobT]]:
    """The `n` best jobs for `candidate`, best first, each with its reasons."""
    index = jobs if isinstance(jobs, JobIndex) else JobIndex.build(jobs)
    if n <= 0 or not len(index):
        return []
    skills = [0.0] * len(index)
    inverse = index.inverse_required
    # dict.fromkeys, not set: a fixed summation order, so float ties (and thus the
    # order of equally scored jobs) do not vary with the process's hash seed.
    for skill in dict.fromkeys(candidate.skills):
        weight = index.skill_weight.get(skill, 0.0)
        for position in index.skill_postings.get(skill, ()):
            skills[position] += weight * inverse[position]
    query = candidate_terms(candidate)
    text, text_max = index.text.scores(query, QUERY_TERMS)
    rest = _job_rest(candidate, index)
    fit = _fit_table(candidate_level(candidate))
    query_set = set(query)
    results: list[ScoredJob[JobT]] = []
    for i, score in _rank(n, skills, text, text_max, (index.levels, fit), rest):
        job = index.items[i]
        shared = _shared_terms(index.text, job_terms(job), query_set, candidate.skills)
        results.append(
            ScoredJob(
                job=job,
                score=round(score, 4),
                reasons=_job_reasons(candidate, job, shared),
                components=_components(skills[i], rest(i), text[i] / text_max if text_max else 0.0),
            )
        )
    return results


# --- candidates for a job --------------------------------------------------------------


def _candidate_rest(job: JobLike, index: CandidateIndex[Any]) -> Rest:
    fit = _fit_table(level_of(job.seniority))
    levels, remote_only, places = index.levels, index.remote_only, index.location_sets
    minimums, currencies = index.minimums, index.currencies
    job_remote, key = job.remote, location_key(job.location)
    offer, currency = job_offer(job), job.currency

    def rest(i: int) -> tuple[float, float, float]:
        if job_remote or key in places[i]:
            location = LOCATION_MATCH
        elif remote_only[i]:
            location = 0.0
        else:
            location = LOCATION_MISMATCH if places[i] else LOCATION_UNSTATED
        return fit[levels[i]], location, salary_fit(minimums[i], currencies[i], offer, currency)

    return rest


def _candidate_notes(
    job: JobLike, candidate: CandidateLike, shared: list[str]
) -> tuple[list[str], list[str]]:
    strengths: list[str] = []
    gaps: list[str] = []
    have = set(candidate.skills)
    matched = [s for s in job.required_skills if s in have]
    missing = [s for s in job.required_skills if s not in have]
    total = len(job.required_skills)
    if matched:
        strengths.append(f"Has {len(matched)} of {total} required skills: {_listing(matched)}")
    if missing:
        gaps.append(f"Missing required skills: {_listing(missing)}")
    role, level = Seniority(job.seniority), SENIORITY_ORDER[candidate_level(candidate)]
    years = f"{candidate.years_experience} years of experience"
    if role == level:
        strengths.append(f"Seniority {level.value} matches the {role.value} role ({years})")
    else:
        gaps.append(f"Seniority {level.value} vs required {role.value} ({years})")
    places = [p for p in candidate.desired_locations if location_key(p)]
    if job.remote:
        strengths.append("Remote role suits a remote-only candidate" if candidate.remote_only
                         else "Remote role: location is no constraint")
    elif candidate.remote_only:
        gaps.append(f"Remote-only, but the role is on-site in {job.location or 'an unstated place'}")
    elif any(location_key(p) == location_key(job.location) for p in places):
        strengths.append(f"Wants to work in {job.location}")
    elif places:
        gaps.append(f"Prefers {_listing(places)}; the role is in {job.location}")
    offer = job_offer(job)
    if candidate.min_salary and offer is not None:
        minimum = _money(candidate.min_salary, candidate.currency)
        if job.currency != candidate.currency:
            gaps.append(f"Minimum salary is in {candidate.currency}; the role pays in {job.currency}")
        elif offer >= candidate.min_salary:
            strengths.append(f"Minimum salary {minimum} is within the offer")
        else:
            gaps.append(f"Wants at least {minimum}; the role pays up to {_money(offer, job.currency)}")
    if shared:
        strengths.append(f"Résumé mentions {_listing(shared)}")
    return strengths, gaps


def shortlist_candidates(
    job: JobLike, candidates: CandidateIndex[CandidateT] | Sequence[CandidateT], n: int = 10
) -> list[ScoredCandidate[CandidateT]]:
    """The `n` best candidates for `job`, best first, with strengths and gaps."""
    index = candidates if isinstance(candidates, CandidateIndex) else CandidateIndex.build(candidates)
    if n <= 0 or not len(index):
        return []
    required = list(dict.fromkeys(job.required_skills))
    unknown_weight = 1.0 + math.log(1 + len(index))
    weights = [index.skill_weight.get(skill, unknown_weight) for skill in required]
    inverse = 1.0 / sum(weights) if weights else 0.0
    skills = [0.0] * len(index)
    for skill, weight in zip(required, weights, strict=True):
        for position in index.skill_postings.get(skill, ()):
            skills[position] += weight * inverse
    query = job_terms(job)
    text, text_max = index.text.scores(query, QUERY_TERMS)
    rest = _candidate_rest(job, index)
    fit = _fit_table(level_of(job.seniority))
    query_set = set(query)
    results: list[ScoredCandidate[CandidateT]] = []
    for i, score in _rank(n, skills, text, text_max, (index.levels, fit), rest):
        candidate = index.items[i]
        shared = _shared_terms(
            index.text, candidate_terms(candidate), query_set, job.required_skills
        )
        strengths, gaps = _candidate_notes(job, candidate, shared)
        results.append(
            ScoredCandidate(
                candidate=candidate,
                score=round(score, 4),
                strengths=strengths,
                gaps=gaps,
                components=_components(skills[i], rest(i), text[i] / text_max if text_max else 0.0),
            )
        )
    return results
