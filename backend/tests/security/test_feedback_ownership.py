"""Only the API key that received an answer may rate it; others learn nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_only_the_receiving_key_rates_an_answer(
    secured_app: Callable[..., FastAPI], make_key: Callable[..., str]
) -> None:
    alice, bob = make_key("user", "alice"), make_key("user", "bob")
    with TestClient(secured_app(AI_LEDGER_ENABLED=True)) as client:
        answer = client.post(
            "/api/v1/ai/complete", headers={"Authorization": f"Bearer {alice}", "X-Request-ID": "answer-for-alice"},
            json={"messages": [{"role": "user", "content": "hello"}]},
        )
        assert answer.status_code == 200, answer.text
        rating = {"request_id": "answer-for-alice", "rating": 2, "comment": "too vague"}
        stolen = client.post("/api/v1/ai/feedback", headers={"Authorization": f"Bearer {bob}"}, json=rating)
        unknown = client.post("/api/v1/ai/feedback", headers={"Authorization": f"Bearer {bob}"},
                              json={**rating, "request_id": "no-such-answer"})
        assert stolen.status_code == unknown.status_code == 404
        def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in body["detail"].items() if k != "request_id"}

        # The same body (but for this request's own id): answer ids cannot be probed.
        assert without_request_id(stolen.json()) == without_request_id(unknown.json())
        assert stolen.json()["detail"]["error"] == "answer_not_found"
        own = client.post("/api/v1/ai/feedback", headers={"Authorization": f"Bearer {alice}"}, json=rating)
        assert own.status_code == 201, own.text
        assert own.json()["rating"] == 2 and own.json()["positive"] is False
        assert own.json()["provider"] == "openai" and own.json()["replaced"] is False
        again = client.post("/api/v1/ai/feedback", headers={"Authorization": f"Bearer {alice}"},
                            json={"request_id": "answer-for-alice", "rating": "up"})
        assert again.json()["replaced"] is True and again.json()["positive"] is True
        anonymous = client.post("/api/v1/ai/feedback", json=rating)
        assert anonymous.status_code == 401


def test_feedback_rejects_bad_ratings(client: TestClient, user_key: str) -> None:
    auth = {"Authorization": f"Bearer {user_key}"}
    for rating in (0, 6, "meh", True, 4.5):
        response = client.post("/api/v1/ai/feedback", headers=auth, json={"request_id": "x", "rating": rating})
        assert response.status_code == 422, (rating, response.text)
