"""Three scopes, conversations owned by their key, and what counts as an AI call (issue 13, 4-6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.cli import main
from app.db import downgrade, get_engine, session_scope, upgrade
from app.security import create_api_key
from app.security.store import list_api_keys


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


JOB = {"title": "Engineer", "company": "Acme"}


def test_a_user_key_reads_and_uses_ai_but_cannot_write_the_catalogue(
    client: TestClient, user_key: str, editor_key: str
) -> None:
    job = client.post("/api/v1/jobs", json=JOB, headers=_auth(editor_key))
    assert job.status_code == 201
    job_id = job.json()["id"]
    assert client.post("/api/v1/candidates", json={"name": "Ada", "skills": ["python"]},
                       headers=_auth(editor_key)).status_code == 201
    writes = [
        ("POST", "/api/v1/jobs", {"json": JOB}),
        ("POST", "/api/v1/jobs/import", {"json": [JOB]}),
        ("PATCH", f"/api/v1/jobs/{job_id}", {"json": {"title": "Changed"}}),
        ("DELETE", f"/api/v1/jobs/{job_id}", {}),
        ("POST", "/api/v1/candidates", {"json": {"name": "Ada"}}),
        ("POST", "/api/v1/candidates/import", {"json": [{"name": "Ada"}]}),
        ("POST", "/api/v1/documents", {"json": {"title": "T", "body": "B"}}),
    ]
    for method, path, kwargs in writes:
        refused = client.request(method, path, headers=_auth(user_key), **kwargs)  # type: ignore[arg-type]
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["detail"]["required_scope"] == "editor"
    assert client.get(f"/api/v1/jobs/{job_id}", headers=_auth(user_key)).json()["title"] == "Engineer"
    assert client.get("/api/v1/jobs", headers=_auth(user_key)).status_code == 200
    matches = client.post(f"/api/v1/jobs/{job_id}/matches", headers=_auth(user_key), json={})
    assert matches.status_code == 200, matches.text


def test_editor_writes_the_catalogue_but_is_no_admin(client: TestClient, editor_key: str) -> None:
    job = client.post("/api/v1/jobs", json=JOB, headers=_auth(editor_key))
    assert job.status_code == 201
    assert client.delete(f"/api/v1/jobs/{job.json()['id']}", headers=_auth(editor_key)).status_code == 204
    assert client.post("/api/v1/jobs/import", json=[JOB], headers=_auth(editor_key)).status_code == 201
    assert client.get("/api/v1/ai/status", headers=_auth(editor_key)).status_code == 403
    assert client.get("/metrics", headers=_auth(editor_key)).status_code == 403


def test_admin_does_everything(client: TestClient, admin_key: str) -> None:
    assert client.post("/api/v1/jobs", json=JOB, headers=_auth(admin_key)).status_code == 201
    assert client.get("/api/v1/ai/status", headers=_auth(admin_key)).status_code == 200


def test_cli_creates_editor_keys(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    from app.core.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["api-key", "create", "--name", "catalogue sync", "--scope", "editor"]) == 0
    finally:
        get_settings.cache_clear()
    assert "(editor)" in capsys.readouterr().err
    with session_scope(db_url) as session:
        assert [k.scope for k in list_api_keys(session)] == ["editor"]


def test_a_conversation_belongs_to_the_key_that_created_it(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    owner, other, admin = make_key("user", "owner"), make_key("user", "other"), make_key("admin", "ops")
    created = client.post("/api/v1/assistant/conversations", json={"title": "mine"}, headers=_auth(owner))
    assert created.status_code == 201
    path = f"/api/v1/assistant/conversations/{created.json()['id']}"
    assert client.get(path, headers=_auth(owner)).status_code == 200
    for stranger in (other, admin):
        assert client.get(path, headers=_auth(stranger)).status_code == 404
        posted = client.post(f"{path}/messages", json={"content": "hi"}, headers=_auth(stranger))
        assert posted.status_code == 404
    reply = client.post(f"{path}/messages", json={"content": "Any Python jobs?"}, headers=_auth(owner))
    assert reply.status_code == 200, reply.text
    assert len(client.get(path, headers=_auth(owner)).json()["messages"]) >= 2


def test_only_model_calls_count_against_the_ai_limit(
    secured_app: Callable[..., FastAPI], user_key: str
) -> None:
    with TestClient(secured_app(AI_RATE_LIMIT_PER_MINUTE=2)) as client:
        created = client.post("/api/v1/assistant/conversations", json={}, headers=_auth(user_key))
        path = f"/api/v1/assistant/conversations/{created.json()['id']}"
        for _ in range(5):  # reads and starts: no model call, no count
            assert client.get(path, headers=_auth(user_key)).status_code == 200
            assert client.post("/api/v1/assistant/conversations", json={},
                               headers=_auth(user_key)).status_code == 201
        for _ in range(2):
            sent = client.post(f"{path}/messages", json={"content": "hi"}, headers=_auth(user_key))
            assert sent.status_code == 200, sent.text
        limited = client.post(f"{path}/messages", json={"content": "hi"}, headers=_auth(user_key))
        assert limited.status_code == 429


def test_scope_migration_keeps_existing_keys_working(tmp_path: Path) -> None:
    """Before 0004 a `user` key could write the catalogue: upgrading makes it `editor`."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003_api_keys")
    with get_engine(url).begin() as connection:
        for name, scope in (("old client", "user"), ("old ops", "admin")):
            connection.execute(sa.text(
                "INSERT INTO api_keys (name, scope, prefix, key_hash, created_at) "
                "VALUES (:name, :scope, 'tdm_x', :hash, CURRENT_TIMESTAMP)"
            ), {"name": name, "scope": scope, "hash": name.replace(" ", "") * 4})
        connection.execute(sa.text(
            "INSERT INTO conversations (id, title, created_at) VALUES ('c-old', '', CURRENT_TIMESTAMP)"
        ))
    upgrade(url, "0004_key_scopes")
    with get_engine(url).connect() as connection:
        scopes = dict(connection.execute(sa.text("SELECT name, scope FROM api_keys")).all())
        owner = connection.execute(sa.text("SELECT owner FROM conversations")).scalar_one()
    assert scopes == {"old client": "editor", "old ops": "admin"}
    assert owner is None
    downgrade(url, "0003_api_keys")
    with get_engine(url).connect() as connection:
        scopes = dict(connection.execute(sa.text("SELECT name, scope FROM api_keys")).all())
    assert scopes == {"old client": "user", "old ops": "admin"}
    upgrade(url)
    with session_scope(url) as session:
        assert create_api_key(session, "new", "editor").record.scope == "editor"
