"""The response cache through the real app: repeated calls are served `cached: true`
without a provider call; model changes, no-cache and degraded answers are never served
from it (data writes: `test_response_cache_keys.py`); the Redis and database stores keep their bounds."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.db import get_engine
from emulators import Fault, RunningEmulator

RECOMMEND = "/api/v1/candidates/1/recommendations"


@pytest.fixture
def own_db(demo_db_path: Path, tmp_path: Path) -> str:
    """A private copy of the demo database: these tests write jobs and cache rows."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db_path, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def cached_client(make_client: Callable[..., TestClient], own_db: str) -> Callable[..., TestClient]:
    def build(direction: str = "openai->anthropic", **overrides: Any) -> TestClient:
        return make_client(direction, DATABASE_URL=own_db, AI_RESPONSE_CACHE_ENABLED=True, **overrides)

    return build


def test_a_repeated_call_is_served_from_the_cache(
    cached_client: Callable[..., TestClient], openai_emulator: RunningEmulator
) -> None:
    client = cached_client()
    first = client.post(RECOMMEND, json={"limit": 3})
    second = client.post(RECOMMEND, json={"limit": 3})
    assert first.status_code == second.status_code == 200
    assert openai_emulator.request_count == 1  # the second answer cost no provider call
    fresh, hit = first.json(), second.json()
    assert fresh["cached"] is False and fresh["cost_usd"] > 0 and fresh["usage"]["input_tokens"] > 0
    assert hit["cached"] is True and hit["cost_usd"] == 0.0 and hit["attempts"] == []
    assert hit["items"] == fresh["items"] and hit["provider"] == "openai"
    assert second.headers["X-AI-Cached"] == "true" and int(second.headers["Age"]) >= 0
    other_limit = client.post(RECOMMEND, json={"limit": 2})
    assert other_limit.json()["cached"] is False and openai_emulator.request_count == 2


def test_no_cache_refreshes_and_no_store_bypasses(
    cached_client: Callable[..., TestClient], openai_emulator: RunningEmulator
) -> None:
    client = cached_client()
    client.post(RECOMMEND)
    refreshed = client.post(RECOMMEND, headers={"Cache-Control": "no-cache"})
    flagged = client.post(RECOMMEND, json={"cache": False})
    bypassed = client.post(RECOMMEND, headers={"Cache-Control": "no-store"})
    assert [r.json()["cached"] for r in (refreshed, flagged, bypassed)] == [False, False, False]
    assert openai_emulator.request_count == 4
    assert client.post(RECOMMEND).json()["cached"] is True


def test_a_model_change_is_never_served_another_models_answer(
    cached_client: Callable[..., TestClient], openai_emulator: RunningEmulator
) -> None:
    """(Data writes: `test_response_cache_keys.py`.)"""
    client = cached_client()
    client.post(RECOMMEND)
    other_model = cached_client(OPENAI_MODEL="gpt-4o-mini").post(RECOMMEND).json()
    assert other_model["cached"] is False and other_model["model"] == "gpt-4o-mini"
    assert openai_emulator.request_count == 2
    assert client.post(RECOMMEND).json()["cached"] is True  # the original model's entry still serves


def test_degraded_answers_are_not_cached(
    cached_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    client = cached_client(AI_MAX_RETRIES=0)
    for emulator in emulators.values():
        emulator.faults.set_default(Fault(status=500))
    assert client.post(RECOMMEND).json()["degraded"] is True
    for emulator in emulators.values():
        emulator.faults.clear()
    healed = client.post(RECOMMEND).json()
    assert healed["degraded"] is False and healed["cached"] is False


def test_qa_answers_cache_per_question_in_redis_within_the_entry_bound(
    cached_client: Callable[..., TestClient], openai_emulator: RunningEmulator, redis_url: str
) -> None:
    client = cached_client(AI_RESPONSE_CACHE_REDIS_URL=redis_url, AI_RESPONSE_CACHE_MAX_ENTRIES=2,
                           AI_STATE_KEY_PREFIX="test-cost-cache")
    cache = client.app.state.response_cache  # type: ignore[attr-defined]
    cache.store.clear()
    questions = ["What is the relocation budget?", "How many vacation days?", "Is remote work allowed?"]
    answers = [client.post("/api/v1/qa", json={"question": q}).json() for q in questions]
    assert all(a["found"] and not a["cached"] for a in answers)
    assert cache.store.name == "redis" and cache.store.count() == 2  # the oldest was evicted
    calls = openai_emulator.request_count
    assert client.post("/api/v1/qa", json={"question": questions[2]}).json()["cached"] is True
    assert client.post("/api/v1/qa", json={"question": questions[0]}).json()["cached"] is False
    assert openai_emulator.request_count == calls + 1
    cache.store.clear()


def test_database_store_expires_and_bounds_entries(
    cached_client: Callable[..., TestClient], own_db: str
) -> None:
    client = cached_client(AI_RESPONSE_CACHE_MAX_ENTRIES=2)
    for limit in (1, 2, 3):
        client.post(RECOMMEND, json={"limit": limit})
    with get_engine(own_db).connect() as connection:
        rows = connection.execute(sa.text("SELECT COUNT(*) FROM ai_response_cache")).scalar()
        connection.execute(sa.text("UPDATE ai_response_cache SET expires_at = '2000-01-01 00:00:00'"))
        connection.commit()
    assert rows == 2
    assert client.post(RECOMMEND, json={"limit": 3}).json()["cached"] is False  # expired


def test_cache_hits_reach_the_ledger_as_cached_calls(
    cached_client: Callable[..., TestClient], own_db: str
) -> None:
    client = cached_client(AI_LEDGER_FLUSH_SECONDS=0.05)
    with client:
        client.post(RECOMMEND, headers={"X-Request-ID": "cost-fresh-1"})
        client.post(RECOMMEND, headers={"X-Request-ID": "cost-hit-1"})
        client.app.state.usage_ledger.flush()  # type: ignore[attr-defined]
    with get_engine(own_db).connect() as connection:
        rows = dict(connection.execute(sa.text(
            "SELECT request_id, outcome FROM ai_usage WHERE request_id LIKE 'cost-%'"
        )).all())
    assert rows == {"cost-fresh-1": "ok", "cost-hit-1": "cached"}
