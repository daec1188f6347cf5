"""The gateway's fast lane: /v1 calls skip FastAPI's per-request path and lose nothing.

Run in-process against the provider emulators: what a caller sees of a call served by
the fast lane (the answer, the request id echo, the wire's own errors) and that
whatever the lane does not serve still gets FastAPI's usual answer.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

HELLO = {"model": "default", "messages": [{"role": "user", "content": "Say hello."}]}


def _client(emulator_settings: Callable[..., Settings]) -> TestClient:
    return TestClient(create_app(emulator_settings(AI_PROVIDER="openai", AI_FALLBACK_ENABLED=False)))


def test_a_gateway_call_answers_and_echoes_the_callers_request_id(
    emulator_settings: Callable[..., Settings],
) -> None:
    with _client(emulator_settings) as client:
        response = client.post("/v1/chat/completions", json=HELLO, headers={"x-request-id": "trace-42"})
        fresh = client.post("/v1/chat/completions", json=HELLO)
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"
    assert response.json()["choices"][0]["message"]["content"]
    assert response.headers["x-request-id"] == "trace-42"
    assert response.headers["x-tandem-provider"] == "openai"
    assert len(fresh.headers["x-request-id"]) == 32  # a fresh id when the caller sent none


def test_a_refusal_on_the_fast_lane_is_in_the_callers_wire_with_a_request_id(
    emulator_settings: Callable[..., Settings],
) -> None:
    with _client(emulator_settings) as client:
        openai_error = client.post("/v1/chat/completions", content=b"{not json")
        anthropic_error = client.post("/v1/messages", json={"model": "default", "messages": []})
    assert openai_error.status_code == 400
    assert openai_error.json()["error"]["code"] == "invalid_json"
    assert openai_error.headers["x-request-id"]
    assert anthropic_error.status_code == 400
    assert anthropic_error.json()["type"] == "error"
    assert anthropic_error.headers["x-request-id"]


def test_what_the_lane_does_not_serve_gets_fastapis_usual_answer(
    emulator_settings: Callable[..., Settings],
) -> None:
    with _client(emulator_settings) as client:
        wrong_method = client.get("/v1/chat/completions")
        unknown = client.post("/v1/embeddings", json={"input": "x"})
        listed = client.get("/openapi.json").json()["paths"]
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"] == "Method Not Allowed"
    assert wrong_method.headers["x-request-id"]
    assert unknown.status_code == 404
    assert {"/v1/chat/completions", "/v1/messages", "/v1/models"} <= set(listed)


def test_the_lane_serves_under_a_root_path(emulator_settings: Callable[..., Settings]) -> None:
    app = create_app(emulator_settings(AI_PROVIDER="openai", AI_FALLBACK_ENABLED=False))
    with TestClient(app, root_path="/ai") as client:
        response = client.post("/ai/v1/chat/completions", json=HELLO)
    assert response.status_code == 200, response.text
    assert response.json()["object"] == "chat.completion"
