"""The response cache is keyed by what the model receives, through the real app.

A write that changes the model's input (a shortlisted job, a new job that enters the
shortlist, a retrieved chunk) misses; a write elsewhere in the same table keeps the
hit. Under the old key (the data version of every table read) every write here missed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulators import RunningEmulator

RECOMMEND = "/api/v1/candidates/1/recommendations"
QUESTION = {"question": "What is the relocation budget?", "k": 2}


@pytest.fixture
def client(make_client: Callable[..., TestClient], demo_db_path: Path, tmp_path: Path) -> TestClient:
    """The app with the response cache on a private copy of the demo database (these tests write)."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db_path, copy)
    return make_client(DATABASE_URL=f"sqlite:///{copy}", AI_RESPONSE_CACHE_ENABLED=True)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def ids_sent(emulator: RunningEmulator, tag: str) -> list[int]:
    """The ids of the `<tag>` data blocks in the last prompt the provider received."""
    prompt = "\n".join(_texts(emulator.requests[-1].json.get("messages")))
    return [int(i) for i in re.findall(rf'<{tag} id="(\d+)">', prompt)]


def all_job_ids(client: TestClient) -> list[int]:
    page = client.get("/api/v1/jobs", params={"limit": 100}).json()
    return [job["id"] for job in page["items"]]


def test_a_write_to_a_job_outside_the_shortlist_keeps_the_hit(
    client: TestClient, openai_emulator: RunningEmulator
) -> None:
    assert client.post(RECOMMEND).json()["cached"] is False
    shortlist = ids_sent(openai_emulator, "job")
    outside = [i for i in all_job_ids(client) if i not in shortlist]
    assert shortlist and outside  # the demo catalogue is larger than one shortlist
    patched = client.patch(f"/api/v1/jobs/{outside[0]}", json={"title": "Pastry Chef"})
    unrelated = {"title": "Night Baker", "company": "Crumbs", "required_skills": ["sourdough"]}
    created = client.post("/api/v1/jobs", json=unrelated)
    assert patched.status_code == 200 and created.status_code == 201
    again = client.post(RECOMMEND).json()
    assert again["cached"] is True and openai_emulator.request_count == 1
    fresh = client.post(RECOMMEND, headers={"Cache-Control": "no-store"}).json()
    current = {i["job_id"]: (i["title"], i["local_score"]) for i in fresh["items"]}
    served = {i["job_id"]: (i["title"], i["local_score"]) for i in again["items"]}
    assert {k: v for k, v in served.items() if k in current} == {
        k: v for k, v in current.items() if k in served
    }  # local scores and row fields of a hit are today's, not the stored ones


def test_a_write_to_a_shortlisted_job_misses(client: TestClient, openai_emulator: RunningEmulator) -> None:
    client.post(RECOMMEND)
    shortlisted = ids_sent(openai_emulator, "job")[0]
    job = client.get(f"/api/v1/jobs/{shortlisted}").json()
    renamed = f"{job['title']} (team lead)"
    assert client.patch(f"/api/v1/jobs/{shortlisted}", json={"title": renamed}).status_code == 200
    again = client.post(RECOMMEND).json()
    assert again["cached"] is False and openai_emulator.request_count == 2
    shown = {item["job_id"]: item["title"] for item in again["items"]}
    assert shown.get(shortlisted, renamed) == renamed  # never the old title


def test_a_better_matching_new_job_entering_the_shortlist_misses(
    client: TestClient, openai_emulator: RunningEmulator
) -> None:
    client.post(RECOMMEND)
    candidate = client.get("/api/v1/candidates/1").json()
    ideal = {
        "title": candidate["headline"], "company": "Perfect Fit", "required_skills": candidate["skills"],
        "remote": True, "description": candidate["resume_text"][:2000],
    }
    created = client.post("/api/v1/jobs", json=ideal)
    assert created.status_code == 201
    again = client.post(RECOMMEND).json()
    assert again["cached"] is False and openai_emulator.request_count == 2
    assert created.json()["id"] in ids_sent(openai_emulator, "job")


def test_qa_hits_after_an_unrelated_document_write_and_misses_when_a_retrieved_chunk_changes(
    client: TestClient, openai_emulator: RunningEmulator
) -> None:
    first = client.post("/api/v1/qa", json=QUESTION).json()
    assert first["found"] is True and first["cached"] is False
    retrieved = {c["document_id"] for c in first["citations"]}
    unrelated = {"title": "Canteen menu", "body": "Soup on Mondays, curry on Thursdays."}
    assert client.post("/api/v1/documents", json=unrelated).status_code == 201
    assert client.post("/api/v1/qa", json=QUESTION).json()["cached"] is True
    assert openai_emulator.request_count == 1
    document = retrieved.pop()
    body = client.get(f"/api/v1/documents/{document}").json()["body"]
    changed = client.patch(f"/api/v1/documents/{document}", json={"body": body + " Budgets were revised."})
    assert changed.status_code == 200
    after = client.post("/api/v1/qa", json=QUESTION).json()
    assert after["cached"] is False and openai_emulator.request_count == 2
