"""`POST /api/v1/ai/complete` through the real app and the emulators."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from emulators import Fault, RunningEmulator

URL = "/api/v1/ai/complete"


@pytest.fixture
def client_for(resilience_settings: Callable[..., Settings]) -> Callable[..., httpx.AsyncClient]:
    def build(**overrides: object) -> httpx.AsyncClient:
        app = create_app(resilience_settings(**overrides))
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    return build


def _sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


async def test_json_answer_with_provider_header(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.push(Fault(status=500, times=1))
    async with client_for() as client:
        response = await client.post(URL, json={"messages": [{"role": "user", "content": "tokens=7"}]})
    assert response.status_code == 200
    body = response.json()
    assert response.headers["X-AI-Provider"] == "anthropic" == body["provider"]
    assert body["failover"] is True and body["degraded"] is False
    assert len(body["content"].split("] ", 1)[1].split()) == 7
    assert [a["provider"] for a in body["attempts"]] == ["openai", "anthropic"]


async def test_every_provider_failing_is_a_503_with_retry_after(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.set_default(Fault(status=429, retry_after=3))
    emulators["anthropic"].faults.set_default(Fault(status=529))
    async with client_for(AI_MAX_RETRIES=0) as client:
        for stream in (False, True):
            payload = {"messages": [{"role": "user", "content": "hi"}], "stream": stream}
            response = await client.post(URL, json=payload)
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "3"
            error = response.json()["error"]
            assert error["type"] == "ai_unavailable" and len(error["attempts"]) == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"messages": []},
        {"messages": [{"role": "tool", "content": "x"}]},
        {"messages": [{"role": "user", "content": ""}]},
        {"messages": [{"role": "user", "content": "x" * 32_001}]},
        {"messages": [{"role": "user", "content": "x"}] * 51},
    ],
)
async def test_invalid_requests_get_a_precise_422(
    client_for: Callable[..., httpx.AsyncClient], payload: dict, emulators: dict[str, RunningEmulator]
) -> None:
    async with client_for() as client:
        response = await client.post(URL, json=payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "messages"]
    assert emulators["openai"].request_count == 0


async def test_stream_sends_tokens_then_done(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    async with client_for(AI_HEDGE_AFTER_MS=200) as client:
        payload = {"messages": [{"role": "user", "content": "tokens=9"}], "stream": True}
        response = await client.post(URL, json=payload)
    events = _sse(response.text)
    assert response.status_code == 200
    assert events[-1][0] == "done" and events[-1][1]["provider"] == "openai"
    text = "".join(data["text"] for name, data in events if name == "token")
    assert text == events[-1][1]["content"]
    assert len(text.split("] ", 1)[1].split()) == 9


async def test_stream_failing_after_content_ends_with_a_typed_error_event(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.push(Fault(stream_error_after=3, times=1))
    async with client_for(AI_STREAM_RESUME="off") as client:
        payload = {"messages": [{"role": "user", "content": "tokens=9"}], "stream": True}
        response = await client.post(URL, json=payload)
    events = _sse(response.text)
    assert events[-1][0] == "error"
    assert events[-1][1]["error"]["type"] == "stream_interrupted"
    assert all(name != "done" for name, _ in events)
