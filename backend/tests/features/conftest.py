"""AI feature tests: the real app (TestClient) on a demo-seeded database, providers = emulators.

The demo data is loaded once per session into a SQLite file (and, for the PostgreSQL
runs, into a schema of its own); tests only add conversations, so sharing is safe.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.core.config import Settings, load_settings
from app.db import dispose_engines, init_db, session_scope
from app.demo import load_demo_data
from app.main import create_app
from emulators import RunningEmulator

DIRECTIONS = ["openai->anthropic", "anthropic->openai"]
FAST = {"AI_BACKOFF_BASE": 0.01, "AI_BACKOFF_MAX": 0.02, "AI_REQUEST_TIMEOUT": 2.0, "AI_REQUEST_DEADLINE": 5.0}


def _seed(url: str) -> str:
    init_db(url)
    with session_scope(url) as session:
        load_demo_data(session)
    return url


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _seed(f"sqlite:///{tmp_path_factory.mktemp('features') / 'demo.db'}")


@pytest.fixture(scope="session")
def demo_postgres_url(postgres_url: str) -> Iterator[str]:
    schema = f"tandem_features_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield _seed(url.render_as_string(hide_password=False))
    dispose_engines()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def emulators(openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator) -> dict[str, RunningEmulator]:
    return {"openai": openai_emulator, "anthropic": anthropic_emulator}


@pytest.fixture
def make_client(
    emulator_settings: Callable[..., Settings], demo_sqlite_url: str
) -> Iterator[Callable[..., TestClient]]:
    """`make_client(direction=None, keys=True, **settings)`: the app on the demo database."""
    clients: list[TestClient] = []

    def build(direction: str | None = "openai->anthropic", *, keys: bool = True, **overrides: Any) -> TestClient:
        values: dict[str, Any] = {"DATABASE_URL": demo_sqlite_url, "AUTH_MODE": "local-dev", **FAST, **overrides}
        if direction:
            primary, secondary = direction.split("->")
            values.update(AI_PROVIDER=primary, AI_FALLBACK_PROVIDER=secondary)
        settings = (
            emulator_settings(**values) if keys else load_settings(_env_file=None, **values)
        )
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Parse a Server-Sent Events body into (event, JSON data) pairs."""
    events: list[tuple[str, dict[str, Any]]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


@pytest.fixture(scope="session")
def demo_db_path(demo_sqlite_url: str) -> Path:
    return Path(make_url(demo_sqlite_url).database or "")
