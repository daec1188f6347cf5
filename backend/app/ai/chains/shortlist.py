"""Local shortlisting: rank jobs for a candidate (or candidates for a job) without an LLM.

The score (0..1) is a weighted sum of five components, each in 0..1:
skill coverage of the job's required skills (rarer skills weigh more), seniority
distance, location/remote compatibility, salary compatibility and BM25 text relevance.
Every ranked item comes with rule-based, human-readable reasons.

Two ways in, one scoring: `rank_jobs` / `rank_candidates` score given columns
(`JobColumns` / `CandidateColumns`) and text relevances. The request path
(`app.ai.chains.stage_one`) calls them on the few hundred rows the database retrieved,
with rarity weights from `skill_stats`; `shortlist_jobs` / `shortlist_candidates` call
them on a whole in-memory `JobIndex` / `CandidateIndex` with BM25 (tests, and the
pre-database baseline the quality benchmark compares against). A shortlist is postings
walks, one pass over the rows and a bounded search for the top n (see `_rank`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic

from app.ai.chains.shortlist_reasons import candidate_notes, job_reasons
from app.ai.rag.bm25 import Bm25Index
from app.ai.rag.match_index import (
    CandidateColumns,
    CandidateIndex,
    CandidateLike,
    CandidateT,
    JobColumns,
    JobIndex,
    JobLike,
    JobT,
    candidate_level,
    candidate_terms,
    job_offer,
    job_terms,
    level_of,
    location_key,
    rarity_weight,
    salary_fit,
)
from app.ai.rag.text import content_terms

__all__ = [
    "WEIGHTS",
    "CandidateIndex",
    "JobIndex",
    "ScoredCandidate",
    "ScoredJob",
    "rank_candidates",
    "rank_jobs",
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


def _job_rest(candidate: CandidateLike, index: JobColumns[Any]) -> Rest:
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


class ChosenVocabulary:
    """Which words are telling among a few chosen items: those fewer of them share.

    Why not BM25 here: stage two only has the chosen handful in full, and building an
    index over them costs more than ranking; document frequency among them is enough
    to put "kafka" before "team".
    """

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.df: dict[str, int] = {}
        for terms in documents:
            for term in set(terms):
                self.df[term] = self.df.get(term, 0) + 1
        self.limit = max(1, len(documents) // 2)

    def distinctive(self, terms: Iterable[str]) -> list[str]:
        known = {t for t in terms if 0 < self.df.get(t, 0) <= self.limit}
        return sorted(known, key=lambda t: (self.df[t], t))


Vocabulary = Bm25Index | ChosenVocabulary


def _shared_terms(text: Vocabulary, item_terms: list[str], query: set[str], skills: Any) -> list[str]:
    """Telling words the item and the query share, beyond the skills already reported."""
    skill_words = {word for skill in skills for word in content_terms(skill)}
    return text.distinctive(t for t in item_terms if t in query and t not in skill_words)


def shortlist_jobs(
    candidate: CandidateLike, jobs: JobIndex[JobT] | Sequence[JobT], n: int = 10
) -> list[ScoredJob[JobT]]:
    """The `n` best jobs for `candidate` among all of `jobs`, in memory, best first."""
    index = jobs if isinstance(jobs, JobIndex) else JobIndex.build(jobs)
    if n <= 0 or not len(index):
        return []
    text, text_max = index.text.scores(candidate_terms(candidate), QUERY_TERMS)
    return rank_jobs(candidate, index, text, text_max, n, index.text)


def rank_jobs(
    candidate: CandidateLike,
    columns: JobColumns[JobT],
    text: list[float],
    text_max: float,
    n: int,
    vocabulary: Vocabulary | None = None,
    *,
    explain: bool = True,
) -> list[ScoredJob[JobT]]:
    """The `n` best of `columns` for `candidate` given each job's text relevance.

    `vocabulary` tells which shared words are telling (for the reasons); without one,
    rarity among the chosen jobs decides. `explain=False` skips the reasons (a pass
    that only picks which rows to read in full).
    """
    if n <= 0 or not len(columns):
        return []
    skills = [0.0] * len(columns)
    inverse = columns.inverse_required
    # dict.fromkeys, not set: a fixed summation order, so float ties (and thus the
    # order of equally scored jobs) do not vary with the process's hash seed.
    for skill in dict.fromkeys(candidate.skills):
        weight = columns.skill_weight.get(skill, 0.0)
        for position in columns.skill_postings.get(skill, ()):
            skills[position] += weight * inverse[position]
    rest = _job_rest(candidate, columns)
    fit = _fit_table(candidate_level(candidate))
    chosen = _rank(n, skills, text, text_max, (columns.levels, fit), rest)
    terms = {i: job_terms(columns.items[i]) for i, _ in chosen} if explain else {}
    words = vocabulary or ChosenVocabulary(list(terms.values()))
    query_set = set(candidate_terms(candidate)) if explain else set()
    results: list[ScoredJob[JobT]] = []
    for i, score in chosen:
        job = columns.items[i]
        shared = _shared_terms(words, terms[i], query_set, candidate.skills) if explain else []
        results.append(
            ScoredJob(
                job=job,
                score=round(score, 4),
                reasons=job_reasons(candidate, job, shared) if explain else [],
                components=_components(skills[i], rest(i), text[i] / text_max if text_max else 0.0),
            )
        )
    return results


# --- candidates for a job --------------------------------------------------------------


def _candidate_rest(job: JobLike, index: CandidateColumns[Any]) -> Rest:
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


def shortlist_candidates(
    job: JobLike, candidates: CandidateIndex[CandidateT] | Sequence[CandidateT], n: int = 10
) -> list[ScoredCandidate[CandidateT]]:
    """The `n` best of all `candidates` for `job`, in memory, best first."""
    index = candidates if isinstance(candidates, CandidateIndex) else CandidateIndex.build(candidates)
    if n <= 0 or not len(index):
        return []
    text, text_max = index.text.scores(job_terms(job), QUERY_TERMS)
    return rank_candidates(job, index, text, text_max, n, len(index), index.text)


def rank_candidates(
    job: JobLike,
    columns: CandidateColumns[CandidateT],
    text: list[float],
    text_max: float,
    n: int,
    population: int,
    vocabulary: Vocabulary | None = None,
    *,
    explain: bool = True,
) -> list[ScoredCandidate[CandidateT]]:
    """The `n` best of `columns` for `job` given each candidate's text relevance.

    `population` (how many candidates exist) prices a required skill nobody lists;
    `vocabulary` and `explain` as for `rank_jobs`.
    """
    if n <= 0 or not len(columns):
        return []
    required = list(dict.fromkeys(job.required_skills))
    unknown_weight = rarity_weight(population, 1) if population else 1.0
    weights = [columns.skill_weight.get(skill, unknown_weight) for skill in required]
    inverse = 1.0 / sum(weights) if weights else 0.0
    skills = [0.0] * len(columns)
    for skill, weight in zip(required, weights, strict=True):
        for position in columns.skill_postings.get(skill, ()):
            skills[position] += weight * inverse
    rest = _candidate_rest(job, columns)
    fit = _fit_table(level_of(job.seniority))
    chosen = _rank(n, skills, text, text_max, (columns.levels, fit), rest)
    terms = {i: candidate_terms(columns.items[i]) for i, _ in chosen} if explain else {}
    words = vocabulary or ChosenVocabulary(list(terms.values()))
    query_set = set(job_terms(job)) if explain else set()
    results: list[ScoredCandidate[CandidateT]] = []
    for i, score in chosen:
        candidate = columns.items[i]
        shared = _shared_terms(words, terms[i], query_set, job.required_skills) if explain else []
        strengths, gaps = candidate_notes(job, candidate, shared) if explain else ([], [])
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
