"""Q&A, cover letters and the assistant: each provider as primary, failover mid-feature,
degraded mode, the 503 path and streams (SSE parsed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emulators import Fault, RunningEmulator
from tests.features.conftest import DIRECTIONS, sse_events

QUESTION = {"question": "How should I prepare for a technical interview?"}
LETTER = {"candidate_id": 1, "job_id": 2, "tone": "friendly", "length": "short"}


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_qa_cites_retrieved_chunks(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], direction: str
) -> None:
    primary = direction.split("->")[0]
    body = make_client(direction).post("/api/v1/qa", json=QUESTION).json()
    assert (body["provider"], body["found"], body["degraded"]) == (primary, True, False)
    assert body["citations"] and all(c["text"] for c in body["citations"])
    prompt = str(emulators[primary].requests[0].body)
    assert "<document id=" in prompt and "not instructions" in prompt


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_qa_failover(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], direction: str
) -> None:
    primary, secondary = direction.split("->")
    emulators[primary].faults.push(Fault(status=503, times=10))
    body = make_client(direction).post("/api/v1/qa", json=QUESTION).json()
    assert (body["provider"], body["failover"]) == (secondary, True)


def test_qa_does_not_know_without_calling_a_model(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    body = make_client().post("/api/v1/qa", json={"question": "zxqv wqzx"}).json()
    assert body["found"] is False and "don't know" in body["answer"] and body["citations"] == []
    assert sum(e.request_count for e in emulators.values()) == 0


def test_qa_degraded_and_limits(make_client: Callable[..., TestClient]) -> None:
    client = make_client(keys=False, MAX_QUESTION_CHARS=100)
    body = client.post("/api/v1/qa", json=QUESTION).json()
    assert body["degraded"] is True and body["citations"] and "passages" in body["answer"]
    too_long = client.post("/api/v1/qa", json={"question": "x" * 101})
    assert too_long.status_code == 413 and too_long.json()["detail"]["limit_name"] == "MAX_QUESTION_CHARS"


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_cover_letter_json_and_stream(make_client: Callable[..., TestClient], direction: str) -> None:
    primary = direction.split("->")[0]
    client = make_client(direction)
    body = client.post("/api/v1/cover-letters", json=LETTER).json()
    assert body["provider"] == primary and body["letter"].startswith(f"[{primary}:")
    response = client.post("/api/v1/cover-letters", json={**LETTER, "stream": True})
    events = sse_events(response.text)
    assert response.headers["content-type"].startswith("text/event-stream")
    tokens = [data["text"] for name, data in events if name == "token"]
    assert len(tokens) > 3 and events[-1][0] == "done"
    assert events[-1][1]["letter"] == "".join(tokens) and events[-1][1]["provider"] == primary


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_cover_letter_stream_fails_over_before_content(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], direction: str
) -> None:
    primary, secondary = direction.split("->")
    emulators[primary].faults.push(Fault(status=503, times=10))
    events = sse_events(make_client(direction).post(
        "/api/v1/cover-letters", json=LETTER, headers={"Accept": "text/event-stream"}
    ).text)
    assert events[-1][0] == "done" and events[-1][1]["failover"] is True
    assert events[-1][1]["provider"] == secondary


def test_cover_letter_stream_interrupted_after_content_ends_with_error_event(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.push(Fault(stream_error_after=3))
    client = make_client(AI_STREAM_RESUME="off")
    events = sse_events(client.post("/api/v1/cover-letters", json={**LETTER, "stream": True}).text)
    assert [name for name, _ in events][-1] == "error"
    assert events[-1][1]["error"]["type"] == "stream_interrupted"
    assert any(name == "token" for name, _ in events)


def test_cover_letter_stream_cut_after_content_is_continued_by_the_fallback(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    whole = make_client().post("/api/v1/cover-letters", json=LETTER).json()["letter"]
    emulators["openai"].faults.push(Fault(stream_error_after=3, times=1))
    events = sse_events(make_client().post("/api/v1/cover-letters", json={**LETTER, "stream": True}).text)
    assert events[-1][0] == "done"
    assert "".join(data["text"] for name, data in events if name == "token") == whole
    assert events[-1][1]["resumed"] is True and events[-1][1]["provider"] == "anthropic"


def test_cover_letter_degraded_503_and_404(make_client: Callable[..., TestClient]) -> None:
    body = make_client(keys=False).post("/api/v1/cover-letters", json=LETTER).json()
    assert body["degraded"] is True and body["letter"].startswith("Dear Hiring Manager")
    off = make_client(keys=False, AI_DEGRADED_MODE=False)
    response = off.post("/api/v1/cover-letters", json={**LETTER, "stream": True})
    assert response.status_code == 503 and response.json()["error"]["type"] == "ai_not_configured"
    assert off.post("/api/v1/cover-letters", json={**LETTER, "job_id": 999999}).status_code == 404
    assert off.post("/api/v1/cover-letters", json={**LETTER, "tone": "rude"}).status_code == 422


def _conversation(client: TestClient) -> str:
    response = client.post("/api/v1/assistant/conversations", json={"title": "t"})
    assert response.status_code == 201
    return str(response.json()["id"])


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_assistant_tool_call_then_failover_before_the_final_answer(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], direction: str
) -> None:
    primary, secondary = direction.split("->")
    client = make_client(direction)
    conversation = _conversation(client)
    # First round (tool call) succeeds on the primary; the next call to it fails.
    emulators[primary].faults.push(Fault(times=1), Fault(status=503, times=10))
    response = client.post(
        f"/api/v1/assistant/conversations/{conversation}/messages",
        json={"content": "please get_job 1 for me", "stream": True},
    )
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names.index("tool_call") < names.index("tool_result") < names.index("done")
    call = next(data for name, data in events if name == "tool_call")
    assert call["name"] == "get_job" and call["provider"] == primary
    done = events[-1][1]
    assert (done["provider"], done["failover"]) == (secondary, True)
    assert "Based on the tool result" in done["content"]
    history = client.get(f"/api/v1/assistant/conversations/{conversation}").json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
    assert history[1]["tool_calls"][0]["name"] == "get_job"


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_assistant_multi_turn_json(make_client: Callable[..., TestClient], direction: str) -> None:
    primary = direction.split("->")[0]
    client = make_client(direction)
    conversation = _conversation(client)
    url = f"/api/v1/assistant/conversations/{conversation}/messages"
    first = client.post(url, json={"content": "hello there"}).json()
    second = client.post(url, json={"content": "and again"}).json()
    assert first["provider"] == second["provider"] == primary
    assert "and again" in second["content"]
    assert len(client.get(f"/api/v1/assistant/conversations/{conversation}").json()["messages"]) == 4


def test_assistant_degraded_503_and_errors(make_client: Callable[..., TestClient]) -> None:
    client = make_client(keys=False, MAX_ASSISTANT_MESSAGE_CHARS=50)
    conversation = _conversation(client)
    url = f"/api/v1/assistant/conversations/{conversation}/messages"
    body = client.post(url, json={"content": "python jobs"}).json()
    assert body["degraded"] is True and "unavailable" in body["content"] and body["jobs"]
    assert client.post(url, json={"content": "x" * 51}).status_code == 413
    assert client.post(url, json={"content": ""}).status_code == 422
    assert client.get("/api/v1/assistant/conversations/nope").status_code == 404
    assert client.post("/api/v1/assistant/conversations/nope/messages", json={"content": "hi"}).status_code == 404
    off = make_client(keys=False, AI_DEGRADED_MODE=False)
    response = off.post(url, json={"content": "hi", "stream": True})
    assert response.status_code == 503 and "Retry-After" not in response.headers  # no key: retrying cannot help
    assert response.json()["error"]["type"] == "ai_not_configured"


def test_invalid_tool_arguments_are_not_run(demo_sqlite_url: str) -> None:
    from app.ai.chains.assistant_tools import run_tool
    from app.db import session_scope

    with session_scope(demo_sqlite_url) as session:
        ok, result = run_tool(session, "get_job", {"job_id": "not a number", "x": 1})
        assert not ok and "invalid arguments" in result
        ok, result = run_tool(session, "drop_tables", {})
        assert not ok and "unknown tool" in result
        ok, result = run_tool(session, "get_candidate", {"candidate_id": 1})
        assert ok and "resume_excerpt" in result


def test_qa_on_postgresql(make_client: Callable[..., TestClient], demo_postgres_url: str) -> None:
    body = make_client(DATABASE_URL=demo_postgres_url).post("/api/v1/qa", json=QUESTION).json()
    assert body["found"] is True and body["provider"] == "openai" and body["citations"]
