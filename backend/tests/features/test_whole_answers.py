"""Cover letters and the assistant give the whole answer (issue 11): a letter cut by the
output limit is continued, and a stream cut after content that no provider could
continue restarts on the next provider -- a `restart` event on SSE, invisibly in JSON."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from emulators import Fault, RunningEmulator
from tests.features.conftest import sse_events

LETTER = {"candidate_id": 1, "job_id": 2, "tone": "formal", "length": "medium"}
URL = "/api/v1/cover-letters"
#: Anthropic first: OpenAI's Chat Completions never continue a prefill, so when
#: Anthropic's own continuation breaks too, only a restart on OpenAI is left.
ANTHROPIC_FIRST = "anthropic->openai"


def _tokens(events: list[tuple[str, dict]]) -> str:
    return "".join(data["text"] for name, data in events if name == "token")


@pytest.mark.parametrize("stream", [False, True])
def test_a_letter_cut_by_the_output_limit_is_continued_to_the_end(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], stream: bool
) -> None:
    client = make_client(ANTHROPIC_FIRST)
    whole = client.post(URL, json=LETTER).json()["letter"]
    emulators["anthropic"].faults.push(Fault(truncate_after=6, times=1))
    response = client.post(URL, json={**LETTER, "stream": stream})
    if stream:
        events = sse_events(response.text)
        body = {**events[-1][1]}
        assert events[-1][0] == "done" and _tokens(events) == body["letter"]
    else:
        body = response.json()
    assert body["letter"] == whole
    assert body["truncated"] is False and body["continuations"] == 1
    assert body["usage"]["output_tokens"] > 6  # both parts are counted
    continuation = emulators["anthropic"].requests[-1].json
    assert continuation["messages"][-1]["role"] == "assistant"  # a prefill of the cut letter


@pytest.mark.parametrize("stream", [False, True])
def test_a_letter_still_cut_after_the_continuations_says_so(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator], stream: bool
) -> None:
    client = make_client(ANTHROPIC_FIRST, AI_MAX_CONTINUATIONS=0)
    emulators["anthropic"].faults.push(Fault(truncate_after=6, times=1))
    response = client.post(URL, json={**LETTER, "stream": stream})
    body = sse_events(response.text)[-1][1] if stream else response.json()
    assert body["truncated"] is True and body["finish_reason"] == "max_tokens"
    assert len(body["letter"].split()) == 6


def test_a_letter_stream_nobody_could_continue_restarts_on_the_next_provider(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    client = make_client(ANTHROPIC_FIRST)
    emulators["anthropic"].faults.set_default(Fault(status=503))
    openai_letter = client.post(URL, json=LETTER).json()["letter"]
    emulators["anthropic"].faults.set_default(None)
    emulators["anthropic"].faults.push(Fault(cut_after=4, times=2))  # the stream and its continuation
    events = sse_events(client.post(URL, json={**LETTER, "stream": True}).text)
    names = [name for name, _ in events]
    assert names.count("restart") == 1 and names[-1] == "done"
    restart = events[names.index("restart")][1]
    assert restart["provider"] == "anthropic" and restart["shown_chars"] > 0
    done = events[-1][1]
    assert _tokens(events[names.index("restart") + 1:]) == done["letter"] == openai_letter
    assert done["restarted"] is True and done["failover"] is True and done["provider"] == "openai"


def test_a_json_letter_restarts_invisibly(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    client = make_client(ANTHROPIC_FIRST)
    emulators["anthropic"].faults.push(Fault(cut_after=4, times=2))
    body = client.post(URL, json=LETTER).json()
    assert body["provider"] == "openai" and body["restarted"] is True
    assert body["letter"].startswith("[openai:") and "[anthropic:" not in body["letter"]


def _conversation(client: TestClient) -> str:
    return str(client.post("/api/v1/assistant/conversations", json={"title": "t"}).json()["id"])


def test_an_assistant_answer_nobody_could_continue_restarts_and_is_stored_whole(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    client = make_client(ANTHROPIC_FIRST)
    conversation = _conversation(client)
    emulators["anthropic"].faults.push(Fault(cut_after=3, times=2))
    url = f"/api/v1/assistant/conversations/{conversation}/messages"
    events = sse_events(client.post(url, json={"content": "hello there", "stream": True}).text)
    names = [name for name, _ in events]
    assert names.count("restart") == 1 and names[-1] == "done"
    done = events[-1][1]
    assert _tokens(events[names.index("restart") + 1:]) == done["content"]
    assert done["provider"] == "openai" and done["restarted"] is True
    stored = client.get(f"/api/v1/assistant/conversations/{conversation}").json()["messages"]
    assert stored[-1]["content"] == done["content"] and stored[-1]["provider"] == "openai"


def test_an_assistant_answer_cut_by_the_output_limit_is_continued(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    client = make_client(ANTHROPIC_FIRST)
    url = f"/api/v1/assistant/conversations/{_conversation(client)}/messages"
    whole = client.post(url, json={"content": "tell me about remote roles"}).json()["content"]
    url = f"/api/v1/assistant/conversations/{_conversation(client)}/messages"
    emulators["anthropic"].faults.push(Fault(truncate_after=4, times=1))
    body = client.post(url, json={"content": "tell me about remote roles"}).json()
    assert body["content"] == whole and body["truncated"] is False and body["continuations"] == 1


def test_an_assistant_stream_cut_once_is_continued_without_a_restart(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    """Anthropic's answer (list content, tools bound) continued by a prefill: the pieces
    merge into one message (LangChain's `TextAccessor` text once made this a 500)."""
    client = make_client(ANTHROPIC_FIRST)
    url = f"/api/v1/assistant/conversations/{_conversation(client)}/messages"
    whole = client.post(url, json={"content": "hello there"}).json()["content"]
    url = f"/api/v1/assistant/conversations/{_conversation(client)}/messages"
    emulators["anthropic"].faults.push(Fault(cut_after=3, times=1))
    events = sse_events(client.post(url, json={"content": "hello there", "stream": True}).text)
    done = events[-1][1]
    assert events[-1][0] == "done" and "restart" not in [name for name, _ in events]
    assert _tokens(events) == done["content"] == whole and done["resumed"] is True


def test_a_qa_answer_cut_twice_by_the_output_limit_says_so_and_shows_passages(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    client = make_client(ANTHROPIC_FIRST)
    question = {"question": "How should I prepare for a technical interview?", "cache": False}
    emulators["anthropic"].faults.push(Fault(truncate_after=3, times=1))
    whole = client.post("/api/v1/qa", json=question).json()  # cut once: asked again at twice the limit
    assert whole["truncated"] is False and whole["citations"]
    limits = [r.json["max_tokens"] for r in emulators["anthropic"].requests[-2:]]
    assert limits[1] == 2 * limits[0]

    emulators["anthropic"].faults.push(Fault(truncate_after=3, times=2))
    body = client.post("/api/v1/qa", json=question).json()
    assert body["truncated"] is True and body["finish_reason"] == "max_tokens"
    assert body["answer"].startswith("The AI answer was cut by the output limit") and body["citations"]
