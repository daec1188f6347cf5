"""PostgreSQL skill postings (migration 0010): the triggers keep them equal to what the
rows say through every kind of write, and stage one's strict lanes read them with
btree range scans instead of reading wide rows. SQLite has none (its filters are FTS5
columns); there the tests check that the same lanes still answer."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session

from app.ai.rag.match_search import candidate_request, job_request, match_search_for
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository, JobRepository
from tests.data import factories


def _postgres_only(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("skill postings are PostgreSQL's (SQLite filters inside FTS5)")


def _postings(session: Session, table: str) -> set[tuple[str, str, str, int]]:
    rows = session.execute(sa.text(f"SELECT skill, level, loc, id FROM {table}")).tuples()
    return {(skill, level, loc, int(i)) for skill, level, loc, i in rows}


def test_job_postings_follow_inserts_updates_deletes_and_truncate(session: Session) -> None:
    _postgres_only(session)
    jobs = JobRepository(session)
    job = jobs.create(factories.job(required_skills=["kafka", "flink"], seniority="senior",
                                    remote=False, location="York, UK"))
    remote = jobs.create(factories.job(required_skills=["go"], seniority="junior", remote=True, location="Paris"))
    a, b = int(job.id or 0), int(remote.id or 0)
    assert _postings(session, "job_skill_postings") == {
        ("kafka", "senior", "=york", a), ("flink", "senior", "=york", a), ("", "senior", "=york", a),
        ("go", "junior", "remote", b), ("", "junior", "remote", b),
    }
    jobs.update(a, {"required_skills": ["kafka"], "location": "Leeds", "seniority": "lead"})
    jobs.delete(b)
    assert _postings(session, "job_skill_postings") == {("kafka", "lead", "=leeds", a), ("", "lead", "=leeds", a)}
    n = session.execute(sa.text("SELECT n FROM job_skill_postings WHERE skill = 'kafka'")).scalar_one()
    assert n == 1
    session.execute(sa.text("TRUNCATE jobs CASCADE"))
    session.commit()
    assert _postings(session, "job_skill_postings") == set()


def test_candidate_postings_carry_level_on_site_and_each_place(session: Session) -> None:
    _postgres_only(session)
    people = CandidateRepository(session)
    person = people.create(factories.candidate(skills=["kafka"], desired_seniority=None,
                                               desired_locations=["York, UK", "Leeds"], remote_only=False))
    i = int(person.id or 0)
    expected = {(skill, "", loc, i) for skill in ("kafka", "") for loc in ("*", "+", "=york", "=leeds")}
    assert _postings(session, "candidate_skill_postings") == expected
    people.update(i, {"remote_only": True, "desired_seniority": "senior"})
    assert _postings(session, "candidate_skill_postings") == {("kafka", "senior", "*", i), ("", "senior", "*", i)}


def _plan_of_search(session: Session, search: Any) -> str:
    """Runs `search()` and returns the JSON EXPLAIN of the lane statement it sent
    (sequential scans disabled)."""
    captured: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "UNION ALL" in statement:
            captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        search()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = captured[-1]
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        # A few test rows: a sequential scan of anything is cheapest; at catalogue scale it
        # is not, so ask what the plan is when the planner may not read whole tables.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        return json.dumps(cursor.fetchone()[0])


def _scans(node: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(relation, index, node type) of every scan in a JSON plan."""
    found = set()
    if "Scan" in node["Node Type"] and node["Node Type"] != "Subquery Scan":
        found.add((node.get("Relation Name", ""), node.get("Index Name", ""), node["Node Type"]))
    for child in node.get("Plans", []):
        found |= _scans(child)
    return found


def test_strict_lanes_read_postings_not_the_wide_rows(session: Session) -> None:
    _postgres_only(session)
    JobRepository(session).create_many([
        factories.job(required_skills=["kafka", "python"], seniority="senior", location="York") for _ in range(30)
    ])
    CandidateRepository(session).create_many([
        factories.candidate(skills=["kafka"], desired_seniority="senior", desired_locations=["York"])
        for _ in range(30)
    ])
    session.execute(sa.text("ANALYZE jobs, candidates, job_skill_postings, candidate_skill_postings"))
    person = CandidateRead.model_validate(CandidateRepository(session).require(1))
    role = JobRead.model_validate(JobRepository(session).require(1))
    requests = job_request(person, {}), candidate_request(role, {})
    for kind, request, postings in (("jobs", requests[0], "ix_job_skill_postings"),
                                    ("candidates", requests[1], "ix_candidate_skill_postings")):
        strict = replace(request, lanes=[request.lanes[0], request.lanes[3]])  # fit, recent
        search = getattr(match_search_for(session), kind)
        plan = _plan_of_search(session, lambda: search(strict))  # noqa: B023
        scans = _scans(json.loads(plan)[0]["Plan"])
        assert postings in {index for _, index, _ in scans}
        # The wide table only by primary key (the kept rows, for ts_rank); no filter index.
        assert {index for _, index, _ in scans} - {""} <= {postings, f"{kind}_pkey", "skill_stats_pkey"}
        assert {node for relation, _, node in scans if relation == kind} <= {"Index Scan"}
        assert "search_vector @@" not in plan
        assert len(search(strict)) == 30


def test_a_lane_the_postings_cannot_express_still_filters(session: Session) -> None:
    """Jobs 'anywhere' (a candidate with no place and not remote-only) take the `@@` path
    on PostgreSQL; the level filter still holds."""
    jobs = JobRepository(session)
    senior = jobs.create(factories.job(required_skills=["kafka"], seniority="senior", location="Oslo"))
    jobs.create(factories.job(required_skills=["kafka"], seniority="junior", location="Oslo"))
    person = CandidateRead.model_validate(CandidateRepository(session).create(
        factories.candidate(skills=["kafka"], desired_seniority="senior", desired_locations=[])))
    request = job_request(person, {})
    assert set(match_search_for(session).jobs(replace(request, lanes=request.lanes[:1]))) == {senior.id}
