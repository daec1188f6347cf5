"""Demo data (deterministic, loaded once, only when empty) and the CLI commands."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app import cli
from app.ai.rag.retrieval import retrieve
from app.core.config import get_settings
from app.db import current_revision, get_engine, session_scope
from app.db.migrate import head_revision
from app.demo import (
    ImportFile,
    demo_dataset,
    demo_documents,
    generate_candidates,
    generate_jobs,
    is_empty,
    load_demo_data,
    read_import_file,
    write_import_file,
)
from app.repositories import CandidateRepository, DocumentRepository, JobRepository
from tests.data import factories


def test_generators_are_deterministic_and_varied() -> None:
    assert generate_jobs(50, seed=1) == generate_jobs(50, seed=1)
    assert generate_jobs(50, seed=1) != generate_jobs(50, seed=2)
    assert generate_candidates(30, seed=1) == generate_candidates(30, seed=1)
    jobs = generate_jobs(300)
    assert len({j.title.split(" ", 1)[-1] for j in jobs}) >= 10
    assert set(Counter(j.seniority for j in jobs)) == {"junior", "mid", "senior", "lead", "principal"}
    assert 0.15 < sum(j.remote for j in jobs) / len(jobs) < 0.45
    assert all(j.salary_min is not None and j.salary_max is not None for j in jobs)
    assert all(j.salary_min <= j.salary_max for j in jobs if j.salary_min and j.salary_max)
    people = generate_candidates(300)
    assert all(p.resume_text and p.skills for p in people)
    assert any(p.remote_only for p in people) and any(p.desired_locations for p in people)


def test_knowledge_documents() -> None:
    documents = demo_documents()
    assert len(documents) == 12
    titles = {d.title for d in documents}
    assert {"Hiring process", "Benefits policy", "Remote work policy", "Salary bands"} <= titles
    assert all(d.body.count("\n\n") >= 3 for d in documents)  # several paragraphs each


def test_demo_loads_once_and_only_when_empty(session: Session) -> None:
    small = ImportFile(jobs=generate_jobs(12), candidates=generate_candidates(8),
                       documents=demo_documents()[:3])
    assert is_empty(session)
    report = load_demo_data(session, small)
    assert report is not None and (report.jobs, report.candidates, report.documents) == (12, 8, 3)
    assert load_demo_data(session, small) is None
    assert JobRepository(session).count() == 12
    assert CandidateRepository(session).count() == 8


def test_demo_is_skipped_when_any_data_exists(session: Session) -> None:
    DocumentRepository(session).create(factories.document())
    assert load_demo_data(session, ImportFile(jobs=generate_jobs(3))) is None
    assert JobRepository(session).count() == 0


def test_full_demo_set_is_searchable(session: Session) -> None:
    report = load_demo_data(session)
    assert report is not None and report.jobs == 300 and report.candidates == 300
    assert retrieve(session, "parental leave weeks", k=1)[0].document_title == "Benefits policy"


def test_import_file_round_trip(tmp_path: Path) -> None:
    data = demo_dataset(jobs=5, candidates=5)
    path = tmp_path / "data.json"
    write_import_file(path, data)
    assert read_import_file(path) == data
    path.write_text('{"format": "tandem-import", "version": 1, "jobs": [{"title": ""}]}')
    with pytest.raises(ValueError):
        read_import_file(path)


@pytest.fixture()
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    get_engine(url).dispose()


def test_cli_migrate_and_seed(cli_database: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["migrate"]) == 0
    assert current_revision(cli_database) == head_revision()
    small = tmp_path / "small.json"
    write_import_file(small, demo_dataset(jobs=4, candidates=2))
    assert cli.main(["seed", "--file", str(small)]) == 0
    assert "loaded 4 jobs, 2 candidates, 12 documents" in capsys.readouterr().out
    assert cli.main(["seed"]) == 0
    assert "nothing loaded" in capsys.readouterr().out
    with get_engine(cli_database).connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM jobs")).scalar() == 4


def test_cli_reports_bad_files_and_settings(cli_database: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["seed", "--file", str(tmp_path / "missing.json")]) == 1
    assert "cannot import" in capsys.readouterr().err
    monkeypatch.setenv("AI_PROVIDER", "nonsense")
    get_settings.cache_clear()
    assert cli.main(["migrate"]) == 2
    assert "AI_PROVIDER" in capsys.readouterr().err


def test_cli_registry_lists_commands() -> None:
    assert {"migrate", "seed", "serve"} <= set(cli.COMMANDS)
    parser = cli.build_parser()
    args = parser.parse_args(["serve", "--port", "9000", "--reload"])
    assert (args.host, args.port, args.reload) == ("127.0.0.1", 9000, True)
    with session_scope("sqlite://") as session:  # engines for in-memory URLs work too
        assert session.execute(sa.text("SELECT 1")).scalar() == 1
