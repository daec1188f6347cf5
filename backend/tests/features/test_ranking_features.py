"""Recommendations and matching: each provider as primary, failover, degraded, 503, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db import init_db
from emulators import Fault, RunningEmulator
from tests.features.conftest import DIRECTIONS

ENDPOINTS = ["/api/v1/candidates/1/recommendations", "/api/v1/jobs/1/matches"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_ranked_by_the_primary(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], direction: str, path: str
) -> None:
    primary = direction.split("->")[0]
    # The whole shortlist (AI_SHORTLIST_SIZE=10): the emulator's minimal answer scores
    # its one item 1/100, which sorts it last -- the list is ordered by the shown score.
    response = make_client(direction).post(path, json={"limit": 10})
    assert response.status_code == 200
    body = response.json()
    assert (body["provider"], body["failover"], body["degraded"]) == (primary, False, False)
    assert response.headers["X-AI-Provider"] == primary
    assert len(body["items"]) == 10
    ids = [item.get("job_id") or item.get("candidate_id") for item in body["items"]]
    assert len(set(ids)) == 10, "each shortlisted item at most once"
    assert any(item["source"] == "model" for item in body["items"])
    scores = [item["score"] for item in body["items"]]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores == sorted(scores, reverse=True), "one scale: sorted by the score shown"
    assert emulators[primary].request_count == 1
    request = emulators[primary].requests[0]
    assert "DATA" in str(request.body) or "<candidate" in str(request.body)


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_failover_when_primary_fails(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], direction: str, path: str
) -> None:
    primary, secondary = direction.split("->")
    emulators[primary].faults.push(Fault(status=503, times=10))
    body = make_client(direction).post(path).json()
    assert (body["provider"], body["failover"], body["degraded"]) == (secondary, True, False)
    assert body["attempts"][0]["provider"] == primary and body["attempts"][-1]["outcome"] == "ok"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_degraded_without_keys(make_client: Callable[..., TestClient], path: str) -> None:
    response = make_client(keys=False).post(path, json={"limit": 3})
    body = response.json()
    assert response.status_code == 200 and body["degraded"] is True
    assert response.headers["X-AI-Degraded"] == "true"
    assert body["provider"] == "local" and len(body["items"]) == 3
    assert all(item["source"] == "local" and item["score"] == item["local_score"] for item in body["items"])
    notes = body["items"][0].get("reasons") or body["items"][0].get("strengths")
    assert notes, "rule-based explanations are kept"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_degraded_when_every_provider_fails(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], path: str
) -> None:
    for emulator in emulators.values():
        emulator.faults.set_default(Fault(status=500))
    body = make_client(AI_MAX_RETRIES=0).post(path).json()
    assert body["degraded"] is True
    assert {a["provider"] for a in body["attempts"]} == {"openai", "anthropic"}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_503_with_retry_after_when_degradation_is_off(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], path: str
) -> None:
    for emulator in emulators.values():
        emulator.faults.set_default(Fault(status=429, retry_after=7))
    response = make_client(AI_DEGRADED_MODE=False, AI_MAX_RETRIES=0).post(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["type"] == "ai_unavailable"


def test_errors(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    assert client.post("/api/v1/candidates/999999/recommendations").status_code == 404
    assert client.post("/api/v1/jobs/999999/matches").status_code == 404
    assert client.post("/api/v1/jobs/1/matches", json={"limit": 1, "extra": 1}).status_code == 422
    too_many = client.post("/api/v1/jobs/1/matches", json={"limit": 50})
    assert too_many.status_code == 422 and "AI_MAX_RESULTS" in too_many.text


def test_recommendations_on_postgresql(
    make_client: Callable[..., TestClient], demo_postgres_url: str
) -> None:
    body = make_client(DATABASE_URL=demo_postgres_url).post("/api/v1/candidates/1/recommendations").json()
    assert body["provider"] == "openai" and len(body["items"]) == 5


def test_an_empty_other_side_gives_an_empty_ranking_not_a_500(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], tmp_path: Path
) -> None:
    # A job and no candidates (and a candidate with no jobs): nothing to rank, no model call.
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    init_db(url)
    client = make_client(DATABASE_URL=url)
    job = client.post("/api/v1/jobs", json={"title": "Engineer", "company": "Acme"})
    assert job.status_code == 201, job.text
    matches = client.post(f"/api/v1/jobs/{job.json()['id']}/matches")
    assert matches.status_code == 200, matches.text
    assert matches.json()["items"] == []
    client.delete(f"/api/v1/jobs/{job.json()['id']}")
    candidate = client.post("/api/v1/candidates", json={"name": "Ada", "skills": ["python"]})
    assert candidate.status_code == 201, candidate.text
    recommended = client.post(f"/api/v1/candidates/{candidate.json()['id']}/recommendations")
    assert recommended.status_code == 200, recommended.text
    assert recommended.json()["items"] == []
    assert emulators["openai"].request_count == 0 and emulators["anthropic"].request_count == 0
