"""`POST /api/v1/ai/complete` through the real app and the emulators."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from emulators import Fault, RunningEmulator
from emulators.content import filler_words

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


# -- rescuing the answer (issue 11) ---------------------------------------------------
def _tokens(events: list[tuple[str, dict]]) -> str:
    return "".join(data["text"] for name, data in events if name == "token")


async def test_a_stream_cut_after_content_is_continued_word_for_word(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.push(Fault(cut_after=4, times=1))
    async with client_for() as client:
        payload = {"messages": [{"role": "user", "content": "tokens=12"}], "stream": True}
        events = _sse((await client.post(URL, json=payload)).text)
    done = events[-1][1]
    assert events[-1][0] == "done" and done["resumed"] is True and done["resumed_from"] == "openai"
    assert _tokens(events) == done["content"] == "[openai:gpt-4o] " + filler_words(12, seed="tokens=12")
    assert done["provider"] == "anthropic" and done["failover"] is True


async def test_restart_event_when_no_provider_can_continue(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    """Anthropic breaks, its own continuation breaks too, OpenAI cannot continue a prefill:
    a `restart` event, then OpenAI's complete answer."""
    emulators["anthropic"].faults.push(Fault(cut_after=3, times=2))
    async with client_for(AI_PROVIDER="anthropic", AI_FALLBACK_PROVIDER="openai") as client:
        payload = {"messages": [{"role": "user", "content": "tokens=12"}], "stream": True}
        events = _sse((await client.post(URL, json=payload)).text)
    names = [name for name, _ in events]
    assert names.count("restart") == 1 and names[-1] == "done"
    after = events[names.index("restart") + 1:]
    done = events[-1][1]
    assert done["restarted"] is True and done["provider"] == "openai"
    assert _tokens(after) == done["content"] == "[openai:gpt-4o] " + filler_words(12, seed="tokens=12")
    assert events[names.index("restart")][1]["provider"] == "anthropic"


@pytest.mark.parametrize("stream", [False, True])
async def test_a_content_policy_refusal_is_a_422_with_the_providers_reason(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator], stream: bool
) -> None:
    emulators["openai"].faults.push(Fault(error_type="content_policy_violation", times=1))
    async with client_for(AI_DEGRADED_MODE=True) as client:
        payload = {"messages": [{"role": "user", "content": "hello"}], "stream": stream}
        response = await client.post(URL, json=payload)
    body = response.json()["error"]
    assert response.status_code == 422 and body["type"] == "content_filtered"
    assert body["provider"] == "openai" and body["reason"] == "content_policy_violation"
    assert "safety system" in body["message"]
    assert emulators["anthropic"].request_count == 0


@pytest.mark.parametrize("stream", [False, True])
async def test_an_answer_cut_by_the_output_limit_is_continued_or_flagged(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator], stream: bool
) -> None:
    async def answer(client: httpx.AsyncClient) -> dict:
        payload = {"messages": [{"role": "user", "content": "tokens=12"}], "stream": stream}
        response = await client.post(URL, json=payload)
        if not stream:
            return dict(response.json())
        events = _sse(response.text)
        assert events[-1][0] == "done" and _tokens(events) == events[-1][1]["content"]
        return events[-1][1]

    emulators["openai"].faults.push(Fault(truncate_after=5, times=1))
    async with client_for() as client:
        body = await answer(client)
    assert body["content"] == "[openai:gpt-4o] " + filler_words(12, seed="tokens=12")
    assert body["truncated"] is False and body["continuations"] == 1
    assert body["attempts"][-1]["provider"] == "anthropic"  # OpenAI cannot continue a prefill

    emulators["openai"].faults.push(Fault(truncate_after=5, times=1))
    async with client_for(AI_MAX_CONTINUATIONS=0) as client:
        body = await answer(client)
    assert body["truncated"] is True and body["finish_reason"] == "length"
    assert len(body["content"].split()) == 5


async def test_an_answer_from_a_fallback_after_an_open_circuit_says_failover(
    client_for: Callable[..., httpx.AsyncClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.set_default(Fault(status=500))
    payload = {"messages": [{"role": "user", "content": "hello"}]}
    async with client_for() as client:
        for _ in range(3):  # AI_CIRCUIT_MIN_FAILURES=3
            await client.post(URL, json=payload)
        body = (await client.post(URL, json=payload)).json()
        metrics = (await client.get("/metrics")).text
    assert all(a["provider"] != "openai" for a in body["attempts"])
    assert body["failover"] is True and body["failover_reason"] == "circuit_open"
    assert any(s["provider"] == "openai" for s in body["skipped"])
    assert 'reason="circuit_open"' in metrics
