"""Repositories on real SQLite and PostgreSQL: CRUD, filters, paging, import, conversations."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlmodel import Session

from app.db import read_version
from app.models import MessageRole, Seniority
from app.repositories import (
    CandidateFilters,
    CandidateRepository,
    ConversationRepository,
    DocumentRepository,
    InvalidChangesError,
    JobFilters,
    JobRepository,
    NotFoundError,
)
from tests.data import factories


def test_job_crud_round_trip(session: Session) -> None:
    repository = JobRepository(session)
    created = repository.create(factories.job(required_skills=["Python", " SQL ", "python"]))
    assert created.id is not None
    assert created.required_skills == ["python", "sql"]
    session.expunge_all()
    loaded = repository.require(created.id)
    assert loaded.title == "Backend Engineer"
    assert loaded.seniority == Seniority.mid
    assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == UTC.utcoffset(None)
    updated = repository.update(created.id, {"title": "Staff Engineer", "location": None})
    assert (updated.title, updated.location) == ("Staff Engineer", None)
    repository.delete(created.id)
    assert repository.get(created.id) is None
    with pytest.raises(NotFoundError):
        repository.delete(created.id)


def test_job_update_checks_merged_salary_range(session: Session) -> None:
    repository = JobRepository(session)
    job = repository.create(factories.job(salary_min=50_000, salary_max=60_000))
    with pytest.raises(InvalidChangesError) as error:
        repository.update(int(job.id or 0), {"salary_min": 70_000})
    assert error.value.field == "salary_max"


def test_job_filters_and_paging(session: Session) -> None:
    repository = JobRepository(session)
    repository.create(factories.job(title="Python Dev", remote=True, seniority="senior",
                                     required_skills=["python", "django"]))
    repository.create(factories.job(title="Go Dev", remote=True, seniority="mid",
                                    required_skills=["go", "sql"]))
    repository.create(factories.job(title="Data 100% Analyst", remote=False, seniority="senior",
                                    required_skills=["sql", "python"], description="dashboards"))

    def titles(**filters: object) -> list[str]:
        rows, _ = repository.page(JobFilters(**filters), 100, 0)  # type: ignore[arg-type]
        return sorted(row.title for row in rows)

    assert titles(remote=True) == ["Go Dev", "Python Dev"]
    assert titles(seniority=Seniority.senior) == ["Data 100% Analyst", "Python Dev"]
    assert titles(skills=["Python"]) == ["Data 100% Analyst", "Python Dev"]
    assert titles(skills=["python", "sql"]) == ["Data 100% Analyst"]
    assert titles(skills=["rust"]) == []
    assert titles(q="DASHBOARD") == ["Data 100% Analyst"]
    assert titles(q="100%") == ["Data 100% Analyst"]
    assert titles(q="%") == ["Data 100% Analyst"]  # wildcards are literal
    page, total = repository.page(JobFilters(), limit=2, offset=0)
    assert total == 3 and [row.title for row in page] == ["Data 100% Analyst", "Go Dev"]
    page, total = repository.page(JobFilters(), limit=2, offset=2)
    assert total == 3 and [row.title for row in page] == ["Python Dev"]


def test_candidate_crud_and_filters(session: Session) -> None:
    repository = CandidateRepository(session)
    ada = repository.create(factories.candidate(skills=["Python", "Kafka"]))
    repository.create(factories.candidate(name="Grace", skills=["cobol"], resume_text="Compilers"))
    rows, total = repository.page(CandidateFilters(skills=["kafka"]), 10, 0)
    assert total == 1 and rows[0].name == "Ada Lovelace"
    rows, total = repository.page(CandidateFilters(q="compilers"), 10, 0)
    assert [row.name for row in rows] == ["Grace"]
    updated = repository.update(int(ada.id or 0), {"desired_seniority": None, "remote_only": True})
    assert updated.desired_seniority is None and updated.remote_only is True


def test_bulk_import_returns_ids_in_order(session: Session) -> None:
    ids = JobRepository(session).create_many([factories.job(title=f"Job {i}") for i in range(5)])
    assert len(ids) == 5 and ids == sorted(ids)
    assert JobRepository(session).require(ids[3]).title == "Job 3"


def test_documents_are_chunked_and_rechunked(session: Session) -> None:
    repository = DocumentRepository(session)
    body = "\n\n".join(f"Paragraph {i}. " + "words " * 150 for i in range(6))
    document = repository.create(factories.document(body=body))
    chunks = repository.chunks(int(document.id or 0))
    assert len(chunks) > 1
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert all(body[c.start_char : c.end_char] == c.text for c in chunks)
    repository.update(int(document.id or 0), {"body": "Short now."})
    assert [c.text for c in repository.chunks(int(document.id or 0))] == ["Short now."]
    assert repository.to_read([document])[0].chunk_count == 1
    repository.delete(int(document.id or 0))
    assert repository.chunks(int(document.id or 0)) == []


def test_writes_bump_the_data_version(session: Session) -> None:
    before = read_version(session, "jobs")
    job = JobRepository(session).create(factories.job())
    assert read_version(session, "jobs") == before + 1
    JobRepository(session).update(int(job.id or 0), {"title": "New"})
    assert read_version(session, "jobs") == before + 2
    candidates_before = read_version(session, "candidates")
    JobRepository(session).delete(int(job.id or 0))
    assert read_version(session, "jobs") == before + 3
    assert read_version(session, "candidates") == candidates_before


def test_conversations_store_messages_in_order(session: Session) -> None:
    repository = ConversationRepository(session)
    conversation = repository.create("Find me a job")
    assert len(conversation.id) == 36
    repository.add_message(conversation.id, "user", "Any Python jobs?")
    calls = [{"id": "call_1", "name": "search_jobs", "arguments": {"skill": "python"}}]
    repository.add_message(conversation.id, MessageRole.assistant, "", tool_calls=calls,
                           provider="openai")
    repository.add_message(conversation.id, "tool", '{"jobs": []}', tool_call_id="call_1")
    repository.add_message(conversation.id, "assistant", "None right now.", provider="anthropic")
    session.expunge_all()
    messages = repository.messages(conversation.id)
    assert [m.role for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert messages[1].tool_calls == calls and messages[1].provider == "openai"
    assert messages[2].tool_call_id == "call_1"
    assert [m.content for m in repository.messages(conversation.id, last=2)] == [
        '{"jobs": []}',
        "None right now.",
    ]
    assert repository.rename(conversation.id, "Python jobs").title == "Python jobs"
    page, total = repository.page()
    assert total == 1 and page[0].id == conversation.id
    with pytest.raises(NotFoundError):
        repository.add_message("no-such-id", "user", "hi")
    with pytest.raises(ValueError):
        repository.add_message(conversation.id, "system", "not a role")
    repository.delete(conversation.id)
    assert repository.messages(conversation.id) == []
