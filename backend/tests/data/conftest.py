"""Real databases for the data-layer tests: a temp SQLite file and a PostgreSQL schema.

PostgreSQL tests run in a schema of their own (`search_path` set through the URL), made
for this pytest session and dropped at its end, so concurrent runs on the same
database never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.config import load_settings
from app.db import dispose_engines, get_engine, session_scope, upgrade
from app.main import create_app

DATA_TABLES = ("messages", "conversations", "document_chunks", "documents", "candidates", "jobs")
BACKENDS = ("sqlite", "postgresql")


def schema_url(base_url: str, schema: str) -> str:
    """`base_url` with every connection's search_path set to `schema`."""
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def make_pg_schema(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Factory of fresh, empty PostgreSQL schemas (URLs); all dropped at session end."""
    created: list[str] = []
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")

    def make() -> str:
        schema = f"tandem_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        return schema_url(postgres_url, schema)

    yield make
    dispose_engines()
    with admin.connect() as connection:
        for schema in created:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_pg_url(make_pg_schema: Callable[[], str]) -> str:
    """One migrated schema shared by the session's PostgreSQL tests (emptied per test)."""
    url = make_pg_schema()
    upgrade(url)
    return url


def _empty_postgres(url: str) -> None:
    with get_engine(url).begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
        # Counters only grow: a cache keyed on them must never match a later test's data.
        connection.execute(sa.text("UPDATE data_versions SET version = version + 1"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tandem.db'}"
        upgrade(url)
        yield url
        get_engine(url).dispose()
        return
    url = request.getfixturevalue("migrated_pg_url")
    _empty_postgres(url)
    yield url


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    """A session on `db_url` (repositories commit their own writes)."""
    with session_scope(db_url) as db_session:
        yield db_session


@pytest.fixture()
def make_client(db_url: str, clean_env: None) -> Iterator[Callable[..., TestClient]]:
    """Build a TestClient for `create_app` on `db_url`, with optional setting overrides."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        settings = load_settings(DATABASE_URL=db_url, **overrides)
        client = TestClient(create_app(settings))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture()
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """TestClient with default settings on `db_url`."""
    return make_client()
