"""Deterministic generator of jobs and candidates (same seed, same data, every machine).

Used for the demo data set (~300 of each) and for the 10,000-row benchmark sets. Each
record is drawn from a role's skill pools, a seniority, a place and a salary band, so
matching has real signal to find: a senior Python backend engineer in Berlin really
is closer to a senior backend job in Berlin than to a junior iOS job in Austin.
`iter_jobs` / `iter_candidates` also yield how each record was made (`JobFacts`,
`CandidateFacts`): the ground truth of `app.demo.ground_truth`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from app.demo.catalog import (
    BENEFITS,
    CITIES,
    COMPANIES,
    FIRST_NAMES,
    LAST_NAMES,
    ROLES,
    SENIORITY_PAY,
    SENIORITY_TITLES,
    SENIORITY_YEARS,
    Role,
)
from app.models import CandidateCreate, JobCreate, Seniority

DEFAULT_SEED = 20_241_126
#: Weights of each seniority among generated records.
SENIORITY_MIX = {"junior": 2, "mid": 4, "senior": 4, "lead": 2, "principal": 1}


_DISPLAY = {"aws": "AWS", "sql": "SQL", "ci/cd": "CI/CD", "ios": "iOS", "gcp": "GCP",
            "nlp": "NLP", "llms": "LLMs", "mlops": "MLOps", "siem": "SIEM", "iam": "IAM",
            "rest apis": "REST APIs", "dbt": "dbt", "a/b testing": "A/B testing",
            "postgresql": "PostgreSQL", "javascript": "JavaScript", "typescript": "TypeScript",
            "fastapi": "FastAPI", "graphql": "GraphQL", "pytorch": "PyTorch", "b2b saas": "B2B SaaS",
            "tensorflow": "TensorFlow", "node.js": "Node.js", "next.js": "Next.js", "grpc": "gRPC",
            "css": "CSS", "html": "HTML", "r": "R"}


def display_skill(skill: str) -> str:
    """How a person would write a (lower-cased) skill in a headline."""
    return _DISPLAY.get(skill, skill[:1].upper() + skill[1:])


def _seniority(rng: random.Random) -> Seniority:
    levels = list(SENIORITY_MIX)
    return Seniority(rng.choices(levels, weights=list(SENIORITY_MIX.values()))[0])


def _skills(rng: random.Random, role: Role, core: int, extra: int) -> list[str]:
    chosen = rng.sample(role.core_skills, min(core, len(role.core_skills)))
    chosen += rng.sample(role.extra_skills, min(extra, len(role.extra_skills)))
    return chosen


def _salary(rng: random.Random, role: Role, seniority: Seniority, multiplier: float) -> int:
    raw = role.base_salary_usd * SENIORITY_PAY[seniority.value] * multiplier
    return int(round(raw * rng.uniform(0.9, 1.1), -3))


def _job_description(rng: random.Random, role: Role, company: str, skills: list[str],
                     remote: bool, city: str) -> str:
    where = "fully remote" if remote else f"based in our {city} office"
    perks = ", ".join(rng.sample(BENEFITS, 3))
    return (
        f"{company} is hiring a {role.title} to {rng.choice(role.work)}. "
        f"You will work with {', '.join(skills[:3])} every day and help us grow our use of "
        f"{', '.join(skills[3:]) or skills[0]}.\n\n"
        f"The position is {where}. You will pair with engineers, designers and product "
        f"managers, take part in code and design reviews, and share on-call duties fairly.\n\n"
        f"We offer {perks}, and a hiring process of four steps that we promise to finish "
        f"within three weeks."
    )


@dataclass(frozen=True)
class JobFacts:
    """How a generated job was made: the ground truth matching should recover."""

    role: str
    level: int
    city: str
    remote: bool
    currency: str
    offer: int


@dataclass(frozen=True)
class CandidateFacts:
    """How a generated candidate was made."""

    role: str
    level: int
    cities: tuple[str, ...]
    remote_only: bool
    currency: str
    min_salary: int | None


def iter_jobs(count: int, seed: int = DEFAULT_SEED) -> Iterator[tuple[JobCreate, JobFacts]]:
    """`count` realistic jobs with their facts, one at a time (constant memory)."""
    rng = random.Random(f"jobs:{seed}")
    for _ in range(count):
        role = rng.choice(ROLES)
        seniority = _seniority(rng)
        city, currency, multiplier = rng.choice(CITIES)
        remote = rng.random() < 0.3
        skills = _skills(rng, role, rng.randint(3, 4), rng.randint(1, 2))
        company = rng.choice(COMPANIES)
        middle = _salary(rng, role, seniority, multiplier)
        job = JobCreate(
            title=f"{SENIORITY_TITLES[seniority.value]}{role.title}",
            company=company,
            location=None if remote and rng.random() < 0.5 else city,
            remote=remote,
            salary_min=int(round(middle * 0.9, -3)),
            salary_max=int(round(middle * 1.1, -3)),
            currency=currency,
            description=_job_description(rng, role, company, skills, remote, city),
            required_skills=skills,
            seniority=seniority,
        )
        yield job, JobFacts(role.key, seniority.level, city, remote, currency, job.salary_max or 0)


def generate_jobs(count: int, seed: int = DEFAULT_SEED) -> list[JobCreate]:
    """`count` realistic jobs; identical for identical (count, seed)."""
    return [job for job, _ in iter_jobs(count, seed)]


def _resume(rng: random.Random, role: Role, name: str, years: int, skills: list[str],
            city: str) -> str:
    employers = rng.sample(COMPANIES, 2)
    return (
        f"{name} is a {role.title} with {years} years of experience, based in {city}.\n\n"
        f"At {employers[0]} I {rng.choice(role.work)}, using {', '.join(skills[:3])}. "
        f"I led a project that cut delivery time by {rng.randint(15, 60)}% and mentored "
        f"{rng.randint(1, 6)} colleagues.\n\n"
        f"Before that, at {employers[1]}, I worked with {', '.join(skills[3:6]) or skills[0]} "
        f"and learned to communicate clearly with customers and stakeholders.\n\n"
        f"I am looking for a team that values craft, kindness and ownership."
    )


def iter_candidates(
    count: int, seed: int = DEFAULT_SEED
) -> Iterator[tuple[CandidateCreate, CandidateFacts]]:
    """`count` realistic candidates with their facts, one at a time (constant memory)."""
    rng = random.Random(f"candidates:{seed}")
    for _ in range(count):
        role = rng.choice(ROLES)
        seniority = _seniority(rng)
        low, high = SENIORITY_YEARS[seniority.value]
        years = rng.randint(low, high)
        city, currency, multiplier = rng.choice(CITIES)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        skills = _skills(rng, role, rng.randint(3, 5), rng.randint(1, 3))
        remote_only = rng.random() < 0.25
        others = [c[0] for c in CITIES if c[0] != city]
        desired = [city, *rng.sample(others, rng.randint(0, 2))]
        wants_level = rng.random() < 0.6
        person = CandidateCreate(
            name=name,
            headline=f"{SENIORITY_TITLES[seniority.value]}{role.title} · "
            f"{', '.join(display_skill(s) for s in skills[:3])}",
            skills=skills,
            years_experience=years,
            resume_text=_resume(rng, role, name, years, skills, city),
            desired_locations=[] if remote_only else desired,
            remote_only=remote_only,
            min_salary=int(round(_salary(rng, role, seniority, multiplier) * 0.9, -3))
            if rng.random() < 0.8
            else None,
            currency=currency,
            desired_seniority=seniority if wants_level else None,
        )
        places = () if remote_only else tuple(desired)
        yield person, CandidateFacts(
            role.key, seniority.level, places, remote_only, currency, person.min_salary
        )


def generate_candidates(count: int, seed: int = DEFAULT_SEED) -> list[CandidateCreate]:
    """`count` realistic candidates; identical for identical (count, seed)."""
    return [person for person, _ in iter_candidates(count, seed)]
