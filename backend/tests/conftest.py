"""Fixtures shared by the whole suite.

PostgreSQL and Redis are real servers reached over real connections. A test that needs
one runs whenever it is reachable; when it is not, the test is skipped on a developer's
machine but FAILS under `CI=true`, where their absence is a broken environment.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), 1.0):
            return True
    except OSError:
        return False


def _require(service: str, url: str, default_port: int) -> str:
    if _reachable(url, default_port):
        return url
    message = f"{service} is not reachable at {url}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; under CI=true this is a failure, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL database for tests (skip locally / fail in CI when absent)."""
    return _require("PostgreSQL", POSTGRES_URL, 5432)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of a real Redis database for tests (skip locally / fail in CI when absent)."""
    return _require("Redis", REDIS_URL, 6379)


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Remove AI settings inherited from the developer's shell so tests see only their own."""
    for name in list(os.environ):
        if name.startswith(("AI_", "OPENAI_", "ANTHROPIC_")):
            monkeypatch.delenv(name, raising=False)
    yield
