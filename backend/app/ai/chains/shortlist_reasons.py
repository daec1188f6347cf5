"""Rule-based, human-readable explanations of a local match (reasons, strengths, gaps).

Kept apart from the scoring (`shortlist.py`) because they only read the two rows being
compared: no index, no statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.ai.rag.match_index import (
    CandidateLike,
    JobLike,
    candidate_level,
    job_offer,
    location_key,
)
from app.models.common import SENIORITY_ORDER, Seniority

LISTED_SKILLS = 5


def _money(amount: int, currency: str) -> str:
    return f"{amount:,} {currency}"


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LISTED_SKILLS])
    return shown + (", …" if len(items) > LISTED_SKILLS else "")


def job_reasons(candidate: CandidateLike, job: JobLike, shared: list[str]) -> list[str]:
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


def candidate_notes(
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
