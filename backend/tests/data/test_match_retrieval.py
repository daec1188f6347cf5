"""Stage one in the database, on SQLite and PostgreSQL: writes visible to the next request,
both directions, bounded candidate sets, skill statistics kept by triggers, and the
same ranking as the whole-catalogue in-memory shortlist on small data."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from app.ai.chains.assistant_tools import SearchJobsArgs, search_jobs
from app.ai.chains.shortlist import WEIGHTS, CandidateIndex, JobIndex, shortlist_candidates, shortlist_jobs
from app.ai.chains.stage_one import candidates_for_job, jobs_for_candidate
from app.ai.rag.match_search import (
    candidate_request,
    job_request,
    match_search_for,
    skill_frequencies,
)
from app.demo import generate_candidates, generate_jobs
from app.models import Candidate, CandidateRead, Job, JobRead
from app.repositories import CandidateRepository, JobRepository
from tests.data import factories

KAFKA_PERSON = dict(
    headline="Senior streaming engineer", skills=["kafka", "flink", "scala"],
    desired_locations=["Lisbon"], desired_seniority="senior", min_salary=50_000,
)


def _read(row: object) -> CandidateRead:
    return CandidateRead.model_validate(row)


def test_a_written_job_is_recommended_by_the_next_request(session: Session) -> None:
    jobs = JobRepository(session)
    jobs.create_many([factories.job(title=f"Python job {i}", seniority="senior", location="Lisbon") for i in range(30)])
    person = _read(CandidateRepository(session).create(factories.candidate(**KAFKA_PERSON)))
    before = jobs_for_candidate(session, person, 5)
    assert len(before) == 5, "no shared word: still the newest jobs that fit level and place"
    assert not any("kafka" in r.job.required_skills for r in before)

    posted = jobs.create(factories.job(
        title="Senior Kafka Engineer", required_skills=["kafka", "flink", "scala"],
        seniority="senior", location="Lisbon", salary_max=90_000,
    ))
    top = jobs_for_candidate(session, person, 5)[0]
    assert top.job.id == posted.id and top.score > 0.9
    assert top.reasons[0] == "Matches 3 of 3 required skills: kafka, flink, scala"

    jobs.update(int(posted.id or 0), {"required_skills": ["cobol"], "title": "COBOL keeper"})
    assert all(r.components["skills"] == 0.0 for r in jobs_for_candidate(session, person, 5))
    jobs.delete(int(posted.id or 0))
    assert all(r.job.id != posted.id for r in jobs_for_candidate(session, person, 40))


def test_candidates_for_a_job_respect_place_and_level(session: Session) -> None:
    people = CandidateRepository(session)
    fit = people.create(factories.candidate(**KAFKA_PERSON))
    remote_only = people.create(factories.candidate(**KAFKA_PERSON | {"remote_only": True, "desired_locations": []}))
    junior = people.create(factories.candidate(**KAFKA_PERSON | {"desired_seniority": "junior"}))
    people.create_many([factories.candidate(name=f"Py {i}") for i in range(20)])
    job = JobRead.model_validate(JobRepository(session).create(factories.job(
        title="Senior Kafka Engineer", required_skills=["kafka", "flink"], seniority="senior",
        location="Lisbon", salary_max=90_000,
    )))
    ranked = candidates_for_job(session, job, 3)
    # Remote-only loses the place (0.15) but keeps the level (0.2); junior the reverse.
    assert [r.candidate.id for r in ranked] == [fit.id, remote_only.id, junior.id]
    assert ranked[0].strengths[0] == "Has 2 of 2 required skills: kafka, flink"
    assert any("Remote-only" in gap for gap in ranked[1].gaps)
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    for r in ranked:
        assert abs(r.score - sum(WEIGHTS[k] * v for k, v in r.components.items())) < 1e-3


def test_skill_statistics_are_kept_by_the_database(session: Session) -> None:
    jobs = JobRepository(session)
    first = jobs.create(factories.job(required_skills=["python", "kafka"]))
    jobs.create(factories.job(required_skills=["python"]))
    stats = skill_frequencies(session, "jobs", ["python", "kafka", "cobol"])
    assert (stats.rows, stats.df) == (2, {"python": 2, "kafka": 1})
    jobs.update(int(first.id or 0), {"required_skills": ["cobol"]})
    assert skill_frequencies(session, "jobs", ["python", "kafka", "cobol"]).df == {"python": 1, "cobol": 1}
    jobs.delete(int(first.id or 0))
    stats = skill_frequencies(session, "jobs", ["python", "cobol"])
    assert (stats.rows, stats.df) == (1, {"python": 1})


def test_the_candidate_set_is_bounded(session: Session) -> None:
    JobRepository(session).create_many([factories.job(title=f"Python {i}") for i in range(450)])
    person = _read(CandidateRepository(session).create(factories.candidate()))
    request = job_request(person, {})
    found = match_search_for(session).jobs(request)
    assert 0 < len(found) <= sum(lane.keep for lane in request.lanes) < 450
    assert all(0.0 <= value <= 1.0 for value in found.values())


def test_the_pool_is_the_lanes_union_read_in_one_statement(session: Session) -> None:
    """`pool` returns what `jobs`/`candidates` find -- the same ids, the same merged
    relevance -- with the rows' columns decoded (lists, booleans), newest first."""
    JobRepository(session).create_many(generate_jobs(120, seed=4))
    CandidateRepository(session).create_many(generate_candidates(60, seed=4))
    search = match_search_for(session)
    person = _read(CandidateRepository(session).require(7))
    role = JobRead.model_validate(JobRepository(session).require(9))
    jobs_table, people_table = Job.__table__, Candidate.__table__  # type: ignore[attr-defined]
    cases = [
        (search.jobs(job_request(person, {})), search.pool(
            "jobs", job_request(person, {}), [jobs_table.c.id, jobs_table.c.required_skills, jobs_table.c.remote])),
        (search.candidates(candidate_request(role, {})), search.pool(
            "candidates", candidate_request(role, {}), [people_table.c.id, people_table.c.skills])),
    ]
    for found, rows in cases:
        assert len(found) > 10
        assert [row[1] for row in rows] == sorted(found, reverse=True)
        assert all(abs(row[0] - found[row[1]]) < 1e-6 for row in rows)
        assert all(isinstance(row[2], list) and row[2] for row in rows)
    assert all(isinstance(row[3], bool) for row in cases[0][1])


def test_query_syntax_in_user_text_is_only_words(session: Session) -> None:
    JobRepository(session).create(factories.job(required_skills=["c++", "ci/cd"], title='He said "NEAR(x)"'))
    odd = factories.candidate(skills=['"', "c++", "or", "near(", "ci/cd", "*", "a:b"], headline='"AND NOT (')
    person = _read(CandidateRepository(session).create(odd))
    ranked = jobs_for_candidate(session, person, 3)
    assert len(ranked) == 1 and ranked[0].components["skills"] > 0


def test_database_shortlist_matches_the_in_memory_one_on_small_data(session: Session) -> None:
    JobRepository(session).create_many(generate_jobs(250, seed=3))
    CandidateRepository(session).create_many(generate_candidates(120, seed=3))
    jobs = [JobRead.model_validate(j) for j in JobRepository(session).all()]
    people = [CandidateRead.model_validate(c) for c in CandidateRepository(session).all()]
    job_index, people_index = JobIndex.build(jobs), CandidateIndex.build(people)
    overlap = 0
    for person in people[:20]:
        new = {r.job.id for r in jobs_for_candidate(session, person, 10)}
        overlap += len(new & {r.job.id for r in shortlist_jobs(person, job_index, 10)})
    for role in jobs[:20]:
        new = {r.candidate.id for r in candidates_for_job(session, role, 10)}
        overlap += len(new & {r.candidate.id for r in shortlist_candidates(role, people_index, 10)})
    assert overlap / 400 >= 0.7, overlap


def test_assistant_job_search_uses_the_index(session: Session) -> None:
    jobs = JobRepository(session)
    jobs.create(factories.job(title="Kafka engineer", required_skills=["kafka"], remote=True))
    jobs.create(factories.job(title="Flink engineer", required_skills=["flink"], description="Some kafka too."))
    jobs.create(factories.job(title="Gardener", required_skills=["plants"]))
    found = search_jobs(session, SearchJobsArgs(query="kafka please"))
    assert [j["title"] for j in found] == ["Kafka engineer", "Flink engineer"]
    assert [j["title"] for j in search_jobs(session, SearchJobsArgs(query="kafka", remote=False))] == [
        "Flink engineer"
    ]
    assert search_jobs(session, SearchJobsArgs(query="the and of")) == []


def test_truncate_clears_statistics_on_postgresql(session: Session) -> None:
    JobRepository(session).create(factories.job())
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.text("DELETE FROM jobs"))
    else:
        session.execute(sa.text("TRUNCATE jobs CASCADE"))
    session.commit()
    assert skill_frequencies(session, "jobs", ["python"]) == skill_frequencies(session, "jobs", [])
    assert skill_frequencies(session, "jobs", ["python"]).rows == 0
