"""Stage one's strict lanes on SQLite and PostgreSQL: level and place filters (in the FTS
index on SQLite since migration 0009, btree columns on PostgreSQL) give the same answers,
follow updates of the filter columns, and tell "York" from "New York"; candidate matching
prefers a focused profile to a list of everything."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from app.ai.chains.stage_one import candidates_for_job
from app.ai.rag.match_search import candidate_request, job_request, match_search_for
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository, JobRepository
from tests.data import factories

KAFKA = {"required_skills": ["kafka"], "seniority": "senior", "remote": False}
PERSON = {"skills": ["kafka"], "desired_seniority": "senior"}


def _id(row: object) -> int:
    return int(getattr(row, "id", 0) or 0)


def test_recommendations_strict_lane_keeps_level_and_place_through_updates(session: Session) -> None:
    jobs = JobRepository(session)
    york = jobs.create(factories.job(**KAFKA, title="Kafka in York", location="York, UK"))
    new_york = jobs.create(factories.job(**KAFKA, title="Kafka in New York", location="New York"))
    remote = jobs.create(factories.job(**KAFKA | {"remote": True}, title="Kafka anywhere", location=None))
    junior = jobs.create(factories.job(**KAFKA | {"seniority": "junior"}, title="Kafka junior", location="York"))
    person = CandidateRead.model_validate(
        CandidateRepository(session).create(factories.candidate(**PERSON, desired_locations=["York"]))
    )

    def strict() -> set[int]:
        request = job_request(person, {})
        return set(match_search_for(session).jobs(replace(request, lanes=request.lanes[:1])))

    assert strict() == {_id(york), _id(remote)}
    jobs.update(_id(new_york), {"location": "york"})
    jobs.update(_id(remote), {"remote": False, "location": "Paris"})
    jobs.update(_id(junior), {"seniority": "senior"})
    assert strict() == {_id(york), _id(new_york), _id(junior)}


def test_matchings_strict_lane_wants_on_site_people_at_the_jobs_place(session: Session) -> None:
    people = CandidateRepository(session)
    york = people.create(factories.candidate(**PERSON, desired_locations=["Leeds", "York, UK"]))
    unset = people.create(factories.candidate(**PERSON | {"desired_seniority": None}, desired_locations=["york"]))
    new_york = people.create(factories.candidate(**PERSON, desired_locations=["New York"]))
    remote_only = people.create(factories.candidate(**PERSON, desired_locations=["York"], remote_only=True))
    lead = people.create(factories.candidate(**PERSON | {"desired_seniority": "lead"}, desired_locations=["York"]))
    job = JobRead.model_validate(JobRepository(session).create(factories.job(**KAFKA, location="York")))

    def strict() -> set[int]:
        request = candidate_request(job, {})
        return set(match_search_for(session).candidates(replace(request, lanes=request.lanes[:1])))

    assert strict() == {_id(york), _id(unset)}
    people.update(_id(new_york), {"desired_locations": ["New York", "York"]})
    people.update(_id(remote_only), {"remote_only": False})
    people.update(_id(lead), {"desired_seniority": "senior"})
    people.update(_id(york), {"desired_locations": ["Leeds"]})
    assert strict() == {_id(unset), _id(new_york), _id(remote_only), _id(lead)}


def test_matching_keeps_a_focused_profile_over_a_list_of_everything(session: Session) -> None:
    """More people match than a lane keeps: of two holding the job's skills, the one whose
    profile is about them is kept (without the discount the newer one would be)."""
    people = CandidateRepository(session)
    focused = people.create(factories.candidate(name="Focused", skills=["kafka", "flink"]))
    everything = [f"tool {i}" for i in range(12)]
    people.create(factories.candidate(name="Lists everything", skills=["kafka", "flink", *everything]))
    people.create_many([factories.candidate(name=f"Py {i}", skills=["python", "sql"]) for i in range(10)])
    job = JobRead.model_validate(JobRepository(session).create(factories.job(required_skills=["kafka", "flink"])))
    request = candidate_request(job, {})
    one = replace(request, lanes=[replace(request.lanes[0], keep=1)])
    assert list(match_search_for(session).candidates(one)) == [_id(focused)]
    ranked = candidates_for_job(session, job, 2)
    assert {r.candidate.name for r in ranked} == {"Focused", "Lists everything"}
    assert ranked[0].components["skills"] == ranked[1].components["skills"] == 1.0
