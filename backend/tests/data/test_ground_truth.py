"""Ground truth of the generated data and the ranking metrics the quality benchmark reports."""

from __future__ import annotations

from app.demo import generate_candidates, generate_jobs
from app.demo.generator import CandidateFacts, JobFacts, iter_candidates, iter_jobs
from app.demo.ground_truth import grade, ndcg_at, recall_at

JOB = JobFacts(role="backend", level=2, city="Berlin", remote=False, currency="EUR", offer=90_000)
PERSON = CandidateFacts(role="backend", level=2, cities=("Berlin",), remote_only=False,
                        currency="EUR", min_salary=80_000)


def test_grades_by_construction() -> None:
    assert grade(JOB, PERSON) == 3
    assert grade(JOB, PERSON.__class__(**{**PERSON.__dict__, "level": 3})) == 2
    assert grade(JOB, PERSON.__class__(**{**PERSON.__dict__, "min_salary": 95_000})) == 2
    assert grade(JOB, PERSON.__class__(**{**PERSON.__dict__, "role": "frontend"})) == 0
    assert grade(JOB, PERSON.__class__(**{**PERSON.__dict__, "level": 0})) == 0
    assert grade(JOB, PERSON.__class__(**{**PERSON.__dict__, "remote_only": True, "cities": ()})) == 0
    assert grade(JOB.__class__(**{**JOB.__dict__, "remote": True, "city": "Austin"}),
                 PERSON.__class__(**{**PERSON.__dict__, "remote_only": True, "cities": ()})) == 3


def test_metrics() -> None:
    assert ndcg_at(3, [3, 2, 0], [0, 2, 3, 0]) == 1.0
    assert 0 < ndcg_at(3, [0, 2, 3], [0, 2, 3, 0]) < 1
    assert ndcg_at(10, [0], [0, 0]) == 0.0
    assert recall_at(2, [3, 0, 3], good=4) == 0.5
    assert recall_at(50, [3, 3], good=2) == 1.0
    assert recall_at(50, [1], good=0) is None


def test_facts_come_with_the_same_records() -> None:
    pairs = list(iter_jobs(30, seed=9))
    assert [job for job, _ in pairs] == generate_jobs(30, seed=9)
    assert all(facts.remote == job.remote and facts.offer == job.salary_max for job, facts in pairs)
    people = list(iter_candidates(30, seed=9))
    assert [person for person, _ in people] == generate_candidates(30, seed=9)
    assert all(facts.remote_only == person.remote_only for person, facts in people)
