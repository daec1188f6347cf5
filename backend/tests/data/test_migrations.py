"""Alembic migrations create every table on an empty database, on both backends, and undo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from app.ai.chains.stage_one import candidates_for_job, jobs_for_candidate
from app.db import current_revision, downgrade, get_engine, session_scope, upgrade
from app.db.migrate import alembic_config
from app.models import CandidateRead, JobRead
from app.repositories import CandidateRepository, JobRepository
from tests.data import factories

EXPECTED_TABLES = {
    "jobs",
    "candidates",
    "documents",
    "document_chunks",
    "conversations",
    "messages",
    "data_versions",
    "skill_stats",
}
#: Search objects the migrations create by hand (no model declares them).
UNMANAGED_TABLE_PREFIXES = (
    "document_chunks_fts", "jobs_fts", "candidates_fts", "job_skill_postings", "candidate_skill_postings",
)
POSTINGS = {"job_skill_postings", "candidate_skill_postings"}
UNMANAGED_INDEXES = {
    "ix_document_chunks_search_vector",
    "ix_jobs_search_vector",
    "ix_candidates_search_vector",
    "ix_jobs_location_key",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    make_pg_schema: Callable[[], str] = request.getfixturevalue("make_pg_schema")
    return make_pg_schema()


def _tables(url: str) -> set[str]:
    with get_engine(url).connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_upgrade_creates_every_table_and_downgrade_removes_them(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    head = ScriptDirectory.from_config(alembic_config(empty_url)).get_current_head()
    assert head is not None and current_revision(empty_url) == head
    assert _tables(empty_url) >= EXPECTED_TABLES
    downgrade(empty_url, "base")
    assert current_revision(empty_url) is None
    assert not (_tables(empty_url) & EXPECTED_TABLES)
    assert not {t for t in _tables(empty_url) if t.startswith("document_chunks_fts")}
    assert not _tables(empty_url) & POSTINGS
    upgrade(empty_url)  # and again, from scratch
    assert _tables(empty_url) >= EXPECTED_TABLES


def test_full_text_objects_exist_per_backend(empty_url: str) -> None:
    upgrade(empty_url)
    engine = get_engine(empty_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = set(
                connection.execute(sa.text("SELECT name FROM sqlite_master")).scalars()
            )
            assert "document_chunks_fts" in names
            assert {"document_chunks_fts_ai", "document_chunks_fts_ad", "document_chunks_fts_au"} <= names
            assert not names & POSTINGS, "0010 is a no-op on SQLite"
        else:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("document_chunks")}
            indexes = {i["name"] for i in sa.inspect(connection).get_indexes("document_chunks")}
            assert "search_vector" in columns
            assert "ix_document_chunks_search_vector" in indexes
            for table in POSTINGS:
                index = {i["name"]: i for i in sa.inspect(connection).get_indexes(table)}[f"ix_{table}"]
                assert index["column_names"] == ["skill", "level", "loc", "id"]


def test_seeds_a_version_counter_per_table(empty_url: str) -> None:
    upgrade(empty_url)
    with get_engine(empty_url).connect() as connection:
        rows = dict(connection.execute(sa.text("SELECT name, version FROM data_versions")).all())
    assert rows == {"jobs": 0, "candidates": 0, "documents": 0}


def test_models_and_migrations_agree(empty_url: str) -> None:
    """Autogenerate finds nothing to add or drop: the committed migration matches the models."""
    upgrade(empty_url)
    with get_engine(empty_url).connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": lambda obj, name, type_, *_: not (
                    (type_ == "table" and str(name).startswith(UNMANAGED_TABLE_PREFIXES))
                    or (type_ == "column" and name == "search_vector")
                    or (type_ == "index" and name in UNMANAGED_INDEXES)
                    or (type_ == "table" and name == "alembic_version")
                ),
            },
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_rows_from_before_the_filter_index_are_matched_after_upgrading(empty_url: str) -> None:
    """0009 moves SQLite's match filters into the FTS index: a catalogue written before it
    is indexed by the upgrade (and back by the downgrade), so matching finds it at once."""
    upgrade(empty_url, "0008_gateway")
    with session_scope(empty_url) as session:
        jobs = JobRepository(session)
        jobs.create_many([factories.job(title=f"Python {i}", location="Lisbon") for i in range(5)])
        kafka = jobs.create(factories.job(title="Kafka in York", required_skills=["kafka"], location="York"))
        person = CandidateRepository(session).create(factories.candidate(skills=["kafka"], desired_locations=["York"]))
        role, someone = JobRead.model_validate(kafka), CandidateRead.model_validate(person)
    for _ in range(2):
        upgrade(empty_url)
        with session_scope(empty_url) as session:
            assert jobs_for_candidate(session, someone, 1)[0].job.title == "Kafka in York"
            assert candidates_for_job(session, role, 1)[0].candidate.id == someone.id
        downgrade(empty_url, "0008_gateway")
