"""Degraded answers read like answers: a first-person letter, whole sentences, plain reasons.

And a service with no keys at all says so (`ai_not_configured`) instead of asking the
client to retry in a second.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.ai.rag.qa_chain import excerpt
from emulators import Fault, RunningEmulator
from tests.features.test_text_features import LETTER, QUESTION

ENDS_A_SENTENCE = re.compile(r"[.!?\u2026][\"')\]]*$")


@pytest.mark.parametrize("length", ["medium", "long"])
def test_degraded_cover_letter_is_first_person_and_pastes_no_resume(
    make_client: Callable[..., TestClient], length: str
) -> None:
    client = make_client(keys=False)
    candidate = client.get(f"/api/v1/candidates/{LETTER['candidate_id']}").json()
    assert f"{candidate['name']} is a" in candidate["resume_text"]  # the demo résumés are third-person
    body = client.post("/api/v1/cover-letters", json={**LETTER, "length": length}).json()
    letter = body["letter"]
    assert body["degraded"] is True
    assert f"{candidate['name']} is" not in letter
    for sentence in re.split(r"(?<=[.!?])\s+", candidate["resume_text"]):
        assert sentence.strip() not in letter
    body_text = letter.rsplit("Sincerely,", 1)[0]
    assert candidate["name"] not in body_text  # the name only signs the letter
    assert len(re.findall(r"\bI\b", body_text)) >= 2


def test_degraded_qa_passages_end_at_a_sentence_or_an_ellipsis(make_client: Callable[..., TestClient]) -> None:
    body = make_client(keys=False).post("/api/v1/qa", json=QUESTION).json()
    assert body["degraded"] is True
    passages = [line.split(": ", 1)[1] for line in body["answer"].splitlines() if line.startswith("- ")]
    assert len(passages) >= 2
    for passage in passages:
        assert ENDS_A_SENTENCE.search(passage), passage


def test_excerpt_keeps_whole_sentences_or_marks_the_cut() -> None:
    assert excerpt("One. Two is longer than the limit allows here.", 20) == "One."
    assert excerpt("no sentence end within the limit at all", 20) == "no sentence end\u2026"
    assert excerpt("A whole passage.", 400) == "A whole passage."
    assert excerpt("a chunk that stops mid", 400) == "a chunk that stops mid\u2026"


def test_degraded_reason_names_providers_without_reprs_or_request_ids(
    make_client: Callable[..., TestClient], emulators: dict[str, RunningEmulator]
) -> None:
    emulators["openai"].faults.set_default(Fault(status=500))
    emulators["anthropic"].faults.set_default(Fault(status=529))
    body = make_client(AI_MAX_RETRIES=0).post("/api/v1/cover-letters", json=LETTER).json()
    reason = body["degraded_reason"]
    assert body["degraded"] is True
    assert "openai: server error (HTTP 500)" in reason and "anthropic: overloaded (HTTP 529)" in reason
    for noise in ("{", "}", "'type'", "request_id", "req_", "Error code"):
        assert noise not in reason, reason


def test_degraded_reason_without_keys_names_the_settings(make_client: Callable[..., TestClient]) -> None:
    reason = make_client(keys=False).post("/api/v1/cover-letters", json=LETTER).json()["degraded_reason"]
    assert "OPENAI_API_KEY" in reason and "sub-exception" not in reason


def test_complete_without_keys_is_ai_not_configured_without_retry_after(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(keys=False)
    for stream in (False, True):
        response = client.post(
            "/api/v1/ai/complete", json={"messages": [{"role": "user", "content": "hi"}], "stream": stream}
        )
        assert response.status_code == 503
        assert "Retry-After" not in response.headers
        error = response.json()["error"]
        assert error["type"] == "ai_not_configured"
        assert "OPENAI_API_KEY" in error["message"] and "sub-exception" not in error["message"]
    off = make_client(keys=False, AI_DEGRADED_MODE=False)
    response = off.post("/api/v1/cover-letters", json=LETTER)
    assert response.status_code == 503 and "Retry-After" not in response.headers
    assert response.json()["error"]["type"] == "ai_not_configured"
