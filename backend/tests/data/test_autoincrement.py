"""Ids are never reused after a delete (issue 13, item 13), on both backends, and the SQLite
migration that brings AUTOINCREMENT to existing databases keeps every row."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.db import get_engine, upgrade

JOB = {"title": "Engineer", "company": "Acme"}


def test_a_deleted_id_is_not_handed_out_again(client: TestClient) -> None:
    first = client.post("/api/v1/jobs", json=JOB).json()["id"]
    newest = client.post("/api/v1/jobs", json=JOB).json()["id"]
    assert client.delete(f"/api/v1/jobs/{newest}").status_code == 204
    imported = client.post("/api/v1/jobs/import", json=[JOB]).json()["ids"]
    assert imported[0] > newest > first
    candidate = client.post("/api/v1/candidates", json={"name": "Ada"}).json()["id"]
    assert client.delete(f"/api/v1/candidates/{candidate}").status_code == 204
    assert client.post("/api/v1/candidates", json={"name": "Bo"}).json()["id"] > candidate
    document = client.post("/api/v1/documents", json={"title": "T", "body": "B"}).json()["id"]
    assert client.delete(f"/api/v1/documents/{document}").status_code == 204
    assert client.post("/api/v1/documents", json={"title": "T", "body": "B"}).json()["id"] > document


def test_the_sqlite_migration_keeps_rows_chunks_and_search(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0004_key_scopes")
    engine = get_engine(url)
    with engine.begin() as connection:
        run = connection.exec_driver_sql
        for job_id in (1, 2, 3):
            run("INSERT INTO jobs (id, title, company, remote, currency, description, required_skills, "
                f"seniority, created_at) VALUES ({job_id}, 'J{job_id}', 'C', 0, 'USD', '', '[]', 'mid', "
                "CURRENT_TIMESTAMP)")
        run("INSERT INTO documents (id, title, body, source, created_at) "
            "VALUES (1, 'Relocation', 'budget', '', CURRENT_TIMESTAMP)")
        run("INSERT INTO document_chunks (id, document_id, chunk_index, text, start_char, end_char) "
            "VALUES (1, 1, 0, 'relocation budget is five thousand euros', 0, 40)")
        run("DELETE FROM jobs WHERE id = 3")  # before the migration: 3 is reusable
    upgrade(url)
    with engine.begin() as connection:
        run = connection.exec_driver_sql
        assert [r[0] for r in run("SELECT id FROM jobs ORDER BY id")] == [1, 2]
        assert run("SELECT count(*) FROM document_chunks").scalar_one() == 1
        hits = run("SELECT rowid FROM document_chunks_fts WHERE document_chunks_fts MATCH 'euros'").all()
        assert [h[0] for h in hits] == [1]
        create_sql = run("SELECT sql FROM sqlite_master WHERE name = 'jobs'").scalar_one()
        assert "AUTOINCREMENT" in create_sql
        indexes = {r[0] for r in run("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'")}
        assert {"ix_jobs_created_at", "ix_jobs_remote", "ix_jobs_seniority"} <= indexes
        run("DELETE FROM jobs WHERE id = 2")
        run("INSERT INTO jobs (title, company, remote, currency, description, required_skills, seniority, "
            "created_at) VALUES ('new', 'C', 0, 'USD', '', '[]', 'mid', CURRENT_TIMESTAMP)")
        assert run("SELECT max(id) FROM jobs").scalar_one() == 3
        # The foreign key from chunks to documents still holds (cascade on delete).
        run("DELETE FROM documents WHERE id = 1")
        assert run("SELECT count(*) FROM document_chunks").scalar_one() == 0
    with engine.connect() as connection:
        assert sa.inspect(connection).get_foreign_keys("document_chunks")[0]["referred_table"] == "documents"
