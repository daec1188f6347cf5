"""Crash inputs and request-shape rules (issue 13, items 1-3).

Every error is a 4xx with a precise JSON body and the request's real id, never a 500;
`stream` is a JSON boolean, and one Accept/stream rule holds for every SSE-capable route.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def _post_raw(client: TestClient, path: str, raw: str, headers: dict[str, str]) -> Any:
    return client.post(path, content=raw, headers={**headers, "content-type": "application/json"})


@pytest.mark.parametrize(
    ("raw", "field", "echoed"),
    [
        ('{"title":"x","company":"C","salary_min":NaN}', "salary_min", "nan"),
        ('{"title":"x","company":"C","salary_min":1e400}', "salary_min", "inf"),
        ('{"title":"\\ud800","company":"C"}', "title", "\\ud800"),
    ],
)
def test_unencodable_inputs_get_a_422_naming_the_field_with_the_request_id(
    client: TestClient, make_key: Any, raw: str, field: str, echoed: str
) -> None:
    auth = {"Authorization": f"Bearer {make_key('editor')}"}
    response = _post_raw(client, "/api/v1/jobs", raw, auth)
    assert response.status_code == 422, response.text
    body = response.json()
    (error,) = body["detail"]
    assert error["loc"] == ["body", field]
    assert error["input"] == echoed
    assert body["request_id"] and body["request_id"] == response.headers["x-request-id"]


def test_every_error_body_carries_the_request_id(client: TestClient, user_key: str) -> None:
    auth = {"Authorization": f"Bearer {user_key}", "X-Request-ID": "trace-123"}
    missing = client.get("/api/v1/jobs/999999", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["request_id"] == "trace-123"
    unauthenticated = client.get("/api/v1/jobs", headers={"X-Request-ID": "trace-456"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["request_id"] == "trace-456"


def test_a_completion_with_only_a_system_message_is_a_422_not_a_provider_call(
    client: TestClient, user_key: str, openai_emulator: Any
) -> None:
    before = len(openai_emulator.requests)
    response = client.post(
        "/api/v1/ai/complete", headers={"Authorization": f"Bearer {user_key}"},
        json={"messages": [{"role": "system", "content": "You are helpful."}]},
    )
    assert response.status_code == 422, response.text
    assert "role 'user'" in response.text
    assert len(openai_emulator.requests) == before


@pytest.mark.parametrize("value", ["yes", 1, "true", 0, "false"])
def test_stream_accepts_only_json_booleans(client: TestClient, user_key: str, value: Any) -> None:
    auth = {"Authorization": f"Bearer {user_key}"}
    completion = client.post("/api/v1/ai/complete", headers=auth, json={
        "messages": [{"role": "user", "content": "hi"}], "stream": value,
    })
    letter = client.post("/api/v1/cover-letters", headers=auth, json={
        "candidate_id": 1, "job_id": 1, "stream": value,
    })
    for response in (completion, letter):
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "stream"]


def _catalogue(client: TestClient, editor: dict[str, str]) -> tuple[int, int]:
    job = client.post("/api/v1/jobs", headers=editor, json={"title": "Engineer", "company": "Acme"})
    candidate = client.post("/api/v1/candidates", headers=editor, json={
        "name": "Ada", "headline": "Engineer", "skills": ["python"],
    })
    assert job.status_code == 201 and candidate.status_code == 201, (job.text, candidate.text)
    return int(candidate.json()["id"]), int(job.json()["id"])


@pytest.mark.parametrize(
    ("accept", "stream", "expected"),
    [
        ("text/event-stream", False, "application/json"),
        ("text/event-stream", None, "text/event-stream"),
        ("text/event-stream;q=0, application/json", None, "application/json"),
        ("application/json;q=0.5, text/event-stream;q=0.9", None, "text/event-stream"),
        ("text/event-stream;q=0.2, application/json", None, "application/json"),
        ("*/*", None, "application/json"),
        ("application/json", True, "text/event-stream"),
    ],
)
def test_one_accept_and_stream_rule_for_every_sse_route(
    client: TestClient, make_key: Any, accept: str, stream: bool | None, expected: str
) -> None:
    editor = {"Authorization": f"Bearer {make_key('editor')}"}
    candidate_id, job_id = _catalogue(client, editor)
    conversation = client.post("/api/v1/assistant/conversations", headers=editor, json={})
    assert conversation.status_code == 201
    flag: dict[str, Any] = {} if stream is None else {"stream": stream}
    headers = {**editor, "Accept": accept}
    calls = {
        "complete": ("/api/v1/ai/complete", {"messages": [{"role": "user", "content": "hi"}]}),
        "cover-letter": ("/api/v1/cover-letters", {"candidate_id": candidate_id, "job_id": job_id}),
        "assistant": (f"/api/v1/assistant/conversations/{conversation.json()['id']}/messages",
                      {"content": "Any Python jobs?"}),
    }
    for name, (path, body) in calls.items():
        response = client.post(path, headers=headers, json={**body, **flag})
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"].startswith(expected), (name, accept, stream)
