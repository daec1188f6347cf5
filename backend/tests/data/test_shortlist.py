"""The local shortlist scoring: relevance, reasons, strengths and gaps (in-memory indexes)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from app.ai.chains.shortlist import (
    WEIGHTS,
    CandidateIndex,
    JobIndex,
    salary_fit,
    shortlist_candidates,
    shortlist_jobs,
)
from app.demo import generate_candidates, generate_jobs
from app.models import CandidateRead, JobRead
from tests.data import factories

_ids = count(1)


def job(**fields: Any) -> JobRead:
    data = factories.job(**fields).model_dump()
    return JobRead(id=next(_ids), created_at=datetime.now(UTC), **data)


def candidate(**fields: Any) -> CandidateRead:
    data = factories.candidate(**fields).model_dump()
    return CandidateRead(id=next(_ids), created_at=datetime.now(UTC), **data)


PYTHONISTA = dict(
    headline="Senior Python engineer",
    skills=["python", "django", "postgresql", "docker", "aws"],
    years_experience=8,
    resume_text="Eight years building Python web services with Django and PostgreSQL.",
    desired_locations=[],
    remote_only=True,
    min_salary=90_000,
    currency="USD",
    desired_seniority="senior",
)


def _job_market() -> list[JobRead]:
    return [
        job(title="Junior iOS Developer", remote=False, location="Austin", seniority="junior",
            required_skills=["swift", "ios"], description="Build our iPhone app.",
            salary_min=50_000, salary_max=60_000, currency="USD"),
        job(title="Senior Python Engineer", remote=True, location=None, seniority="senior",
            required_skills=["python", "django", "postgresql"],
            description="Python web services with Django.", salary_min=100_000,
            salary_max=130_000, currency="USD"),
        job(title="Senior Python Engineer (on-site)", remote=False, location="Chicago",
            seniority="senior", required_skills=["python", "django", "postgresql"],
            description="Python web services.", salary_min=100_000, salary_max=130_000,
            currency="USD"),
        job(title="Senior Go Engineer", remote=True, seniority="senior",
            required_skills=["go", "kubernetes"], description="Platform services in Go.",
            salary_min=100_000, salary_max=130_000, currency="USD"),
        job(title="Python Data Engineer", remote=True, seniority="mid",
            required_skills=["python", "spark", "airflow", "sql", "dbt"],
            description="Pipelines in Python.", salary_min=80_000, salary_max=85_000,
            currency="USD"),
        job(title="Principal Python Architect", remote=True, seniority="principal",
            required_skills=["python", "django"], description="Python architecture.",
            salary_min=150_000, salary_max=200_000, currency="USD"),
    ]


def test_senior_remote_pythonista_gets_senior_remote_python_jobs_first() -> None:
    jobs = _job_market()
    ranked = shortlist_jobs(candidate(**PYTHONISTA), JobIndex.build(jobs), n=6)
    titles = [r.job.title for r in ranked]
    assert titles[0] == "Senior Python Engineer"
    assert titles.index("Senior Python Engineer (on-site)") > titles.index("Senior Python Engineer")
    assert titles[-1] == "Junior iOS Developer"
    assert all(0.0 <= r.score <= 1.0 for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    best = ranked[0]
    assert "Matches 3 of 3 required skills: python, django, postgresql" in best.reasons
    assert "Remote role matches remote-only preference" in best.reasons
    assert "Seniority senior matches desired senior" in best.reasons
    assert any(reason.startswith("Pays up to 130,000 USD, meets minimum") for reason in best.reasons)
    onsite = next(r for r in ranked if r.job.title.endswith("(on-site)"))
    assert any("remote-only" in reason for reason in onsite.reasons)
    assert onsite.components["location"] == 0.0


def test_reasons_name_missing_skills_seniority_gap_and_low_pay() -> None:
    ranked = shortlist_jobs(candidate(**PYTHONISTA), _job_market(), n=10)
    data = next(r for r in ranked if r.job.title == "Python Data Engineer")
    assert "Matches 1 of 5 required skills: python" in data.reasons
    assert "Missing required skills: spark, airflow, sql, dbt" in data.reasons
    assert "Seniority mid vs desired senior" in data.reasons
    assert "Pays up to 85,000 USD, below minimum 90,000 USD" in data.reasons
    ios = next(r for r in ranked if r.job.title == "Junior iOS Developer")
    assert "Matches none of the 2 required skills" in ios.reasons
    assert ios.components["skills"] == 0.0


def test_shortlist_candidates_strengths_and_gaps() -> None:
    role = job(title="Senior Backend Engineer", remote=False, location="Berlin",
               seniority="senior", required_skills=["python", "kafka", "kubernetes"],
               salary_min=80_000, salary_max=100_000, currency="EUR",
               description="Event-driven services with Kafka.")
    strong = candidate(name="Strong", skills=["python", "kafka", "kubernetes", "go"],
                       years_experience=8, desired_seniority="senior",
                       desired_locations=["Berlin"], min_salary=90_000, currency="EUR")
    partial = candidate(name="Partial", skills=["python"], years_experience=4,
                        desired_seniority="mid", desired_locations=["Paris"],
                        min_salary=120_000, currency="EUR")
    remote = candidate(name="Remote", skills=["python", "kafka"], years_experience=9,
                       desired_seniority=None, remote_only=True, desired_locations=[],
                       min_salary=None)
    ranked = shortlist_candidates(role, [partial, remote, strong], n=3)
    assert next(r.candidate.name for r in ranked) == "Strong"
    by_name = {r.candidate.name: r for r in ranked}
    top = by_name["Strong"]
    assert "Has 3 of 3 required skills: python, kafka, kubernetes" in top.strengths
    assert "Wants to work in Berlin" in top.strengths
    assert "Minimum salary 90,000 EUR is within the offer" in top.strengths
    assert top.gaps == []
    weak = by_name["Partial"]
    assert "Missing required skills: kafka, kubernetes" in weak.gaps
    assert "Seniority mid vs required senior (4 years of experience)" in weak.gaps
    assert "Prefers Paris; the role is in Berlin" in weak.gaps
    assert "Wants at least 120,000 EUR; the role pays up to 100,000 EUR" in weak.gaps
    far = by_name["Remote"]
    assert "Remote-only, but the role is on-site in Berlin" in far.gaps
    assert "Seniority senior matches the senior role (9 years of experience)" in far.strengths


def test_salary_fit_is_graded() -> None:
    assert salary_fit(None, "USD", 10, "USD") == 1.0
    assert salary_fit(100, "USD", 120, "USD") == 1.0
    assert salary_fit(100, "USD", 75, "USD") == 0.5
    assert salary_fit(100, "USD", 40, "USD") == 0.0
    assert salary_fit(100, "USD", 120, "EUR") == 0.5
    assert salary_fit(100, "USD", None, "USD") == 0.5


def test_edge_cases() -> None:
    assert shortlist_jobs(candidate(), [], n=5) == []
    assert shortlist_jobs(candidate(), [job()], n=0) == []
    assert len(shortlist_candidates(job(required_skills=[]), [candidate()], n=5)) == 1
    nobody = candidate(skills=[], resume_text="", headline="")
    assert len(shortlist_jobs(nobody, [job(), job()], n=1)) == 1


def test_generated_market_ranks_role_family_first() -> None:
    jobs = [JobRead(id=i, created_at=datetime.now(UTC), **j.model_dump())
            for i, j in enumerate(generate_jobs(400, seed=7))]
    people = [CandidateRead(id=i, created_at=datetime.now(UTC), **c.model_dump())
              for i, c in enumerate(generate_candidates(20, seed=7))]
    index = JobIndex.build(jobs)
    for person in people:
        top = shortlist_jobs(person, index, n=5)
        assert len(top) == 5
        have = set(person.skills)
        assert all(have & set(r.job.required_skills) for r in top), person.headline
    candidate_index = CandidateIndex.build(people)
    assert len(shortlist_candidates(jobs[0], candidate_index, n=50)) == 20


def test_pruned_ranking_equals_exhaustive_ranking() -> None:
    """Asking for every item evaluates all of them; the top 10 must be the same either way."""
    jobs = [JobRead(id=i, created_at=datetime.now(UTC), **j.model_dump())
            for i, j in enumerate(generate_jobs(600, seed=11))]
    people = [CandidateRead(id=i, created_at=datetime.now(UTC), **c.model_dump())
              for i, c in enumerate(generate_candidates(600, seed=11))]
    job_index, people_index = JobIndex.build(jobs), CandidateIndex.build(people)
    for person in people[:25]:
        fast = shortlist_jobs(person, job_index, n=10)
        full = shortlist_jobs(person, job_index, n=len(jobs))[:10]
        assert [(r.job.id, r.score) for r in fast] == [(r.job.id, r.score) for r in full]
        assert all(
            abs(r.score - sum(WEIGHTS[k] * v for k, v in r.components.items())) < 1e-3
            for r in fast
        )
    for role in jobs[:25]:
        fast_people = shortlist_candidates(role, people_index, n=10)
        all_people = shortlist_candidates(role, people_index, n=len(people))[:10]
        assert [r.candidate.id for r in fast_people] == [r.candidate.id for r in all_people]
