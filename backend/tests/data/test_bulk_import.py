"""`python -m app.cli import jobs|candidates FILE` on SQLite and PostgreSQL (COPY):
JSON Lines and JSON arrays, rejected records with where and why, --strict, and the
imported rows searchable at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app import cli
from app.ai.chains.stage_one import jobs_for_candidate
from app.ai.rag.match_search import skill_frequencies
from app.core.config import get_settings
from app.demo import generate_candidates, generate_jobs
from app.models import CandidateRead
from app.repositories import CandidateRepository, JobRepository
from app.repositories.bulk_import import import_file
from tests.data import factories


@pytest.fixture()
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_import_reports_rejected_lines_and_keeps_the_rest(
    session: Session, tmp_path: Path
) -> None:
    good = [j.model_dump_json() for j in generate_jobs(7, seed=2)]
    lines = [good[0], '{"title": "", "company": "X"}', good[1], "", "{oops", *good[2:], "[1]"]
    summary = import_file(session, "jobs", _jsonl(tmp_path / "jobs.jsonl", lines), batch_size=3)
    assert (summary.imported, summary.rejected, summary.stopped) == (7, 3, None)
    where = [(r.where, r.reason.split(":")[0]) for r in summary.examples]
    assert where == [("line 2", "title"), ("line 5", "not valid JSON"), ("line 11", "expected a JSON object, got list")]
    assert JobRepository(session).count() == 7
    assert skill_frequencies(session, "jobs", []).rows == 7, "statistics kept by the database"
    if session.get_bind().dialect.name == "postgresql":  # planner statistics fresh at once
        analyzed = dict(session.execute(sa.text(
            "SELECT relname, reltuples FROM pg_class WHERE oid IN ('jobs'::regclass, 'job_skill_postings'::regclass)"
        )).tuples().all())
        postings = session.execute(sa.text("SELECT count(*) FROM job_skill_postings")).scalar_one()
        assert analyzed == {"jobs": 7, "job_skill_postings": postings}
        visible = "SELECT relallvisible FROM pg_class WHERE oid = 'job_skill_postings'::regclass"
        assert session.execute(sa.text(visible)).scalar_one() > 0, "vacuumed: index-only scans"


def test_json_array_import_streams_elements(session: Session, tmp_path: Path) -> None:
    people = [c.model_dump(mode="json") for c in generate_candidates(5, seed=2)]
    people.insert(2, {"name": "No skills", "skills": "python"})
    path = tmp_path / "people.json"
    path.write_text(json.dumps(people, indent=2), encoding="utf-8")
    summary = import_file(session, "candidates", path, batch_size=2)
    assert (summary.imported, summary.rejected) == (5, 1)
    assert summary.examples[0].where == "element 3"
    assert summary.examples[0].reason.startswith("skills:")
    assert {c.name for c in CandidateRepository(session).all()} == {p["name"] for p in people} - {"No skills"}


def test_strict_imports_nothing_when_a_record_is_bad(session: Session, tmp_path: Path) -> None:
    lines = [j.model_dump_json() for j in generate_jobs(5, seed=4)] + ['{"title": 1}']
    summary = import_file(session, "jobs", _jsonl(tmp_path / "j.jsonl", lines), batch_size=2, strict=True)
    assert summary.imported == 0 and summary.stopped is not None and "line 6" in summary.stopped
    assert JobRepository(session).count() == 0


def test_a_broken_array_keeps_the_batches_before_it(session: Session, tmp_path: Path) -> None:
    body = ",".join(j.model_dump_json() for j in generate_jobs(4, seed=4))
    path = tmp_path / "broken.json"
    path.write_text(f"[{body}, {{\"title\": ", encoding="utf-8")
    summary = import_file(session, "jobs", path, batch_size=2)
    assert summary.stopped is not None and "not valid JSON" in summary.stopped
    assert JobRepository(session).count() == 4


def test_cli_import_then_recommend(cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = [factories.job(title=f"Kafka engineer {i}", required_skills=["kafka", "flink"]).model_dump_json()
            for i in range(5)]
    path = _jsonl(tmp_path / "jobs.jsonl", [*jobs, '{"title": "x"}'])
    assert cli.main(["import", "jobs", str(path), "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "imported 5 jobs" in out and "rejected 1" in out and "line 6: company: Field required" in out
    long_resume = factories.candidate(resume_text="x" * 60_000).model_dump_json()
    people = _jsonl(tmp_path / "people.jsonl", [factories.candidate(skills=["kafka"]).model_dump_json(), long_resume])
    assert cli.main(["import", "candidates", str(people), "--no-progress", "--strict"]) == 1
    assert "MAX_RESUME_CHARS" in capsys.readouterr().out
    assert cli.main(["import", "candidates", str(people), "--no-progress"]) == 1
    assert cli.main(["import", "jobs", str(tmp_path / "missing.jsonl")]) == 2
    from app.db import session_scope

    with session_scope(cli_env) as session:
        person = CandidateRead.model_validate(CandidateRepository(session).all()[0])
        ranked = jobs_for_candidate(session, person, 3)
        assert [r.job.title.startswith("Kafka engineer") for r in ranked] == [True] * 3
        total = session.execute(sa.text("SELECT count(*) FROM candidates")).scalar()
        assert total == 1
