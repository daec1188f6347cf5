"""Apps with authentication ON (AUTH_MODE=api-keys) on a migrated temporary SQLite database.

The rest of the suite runs with AUTH_MODE=local-dev (see tests/conftest.py); every app
built here passes AUTH_MODE="api-keys" explicitly, so these tests see what production sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.db import init_db, session_scope
from app.main import create_app
from app.security import create_api_key


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'security.db'}"
    init_db(url)
    return url


@pytest.fixture()
def make_key(db_url: str) -> Callable[..., str]:
    """Create a key in `db_url` and return the clear key."""

    def create(scope: str = "user", name: str = "test client") -> str:
        with session_scope(db_url) as session:
            return create_api_key(session, name, scope).key

    return create


@pytest.fixture()
def user_key(make_key: Callable[..., str]) -> str:
    return make_key("user", "a product client")


@pytest.fixture()
def editor_key(make_key: Callable[..., str]) -> str:
    return make_key("editor", "the catalogue team")


@pytest.fixture()
def admin_key(make_key: Callable[..., str]) -> str:
    return make_key("admin", "the ops team")


@pytest.fixture()
def secured_settings(
    db_url: str, emulator_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    """Emulator-backed settings with authentication on; keyword overrides win."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "AUTH_MODE": "api-keys",
            "DATABASE_URL": db_url,
            "AI_LEDGER_ENABLED": False,
            "AI_MAX_RETRIES": 0,
        }
        values.update(overrides)
        return emulator_settings(**values)

    return build


@pytest.fixture()
def secured_app(secured_settings: Callable[..., Settings]) -> Callable[..., FastAPI]:
    def build(**overrides: Any) -> FastAPI:
        return create_app(secured_settings(**overrides))

    return build


@pytest.fixture()
def client(secured_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(secured_app()) as test_client:
        yield test_client
