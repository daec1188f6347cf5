"""Raw HTTP against the real server: error shapes and statuses of both wires, virtual keys
(both headers, routes per key, rate limit, budget), routes, `/v1/models`, the ledger."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx
import pytest

from emulators import Fault, RunningEmulator
from tests.gateway.conftest import SERVER_TIMEOUT, Gateway

pytestmark = pytest.mark.timeout(SERVER_TIMEOUT)

CHAT = "/v1/chat/completions"
MESSAGES = "/v1/messages"
HELLO = [{"role": "user", "content": "hello there"}]


def post(gateway: Gateway, path: str, body: object, key: str | None = None, **headers: str) -> httpx.Response:
    sent = {"authorization": f"Bearer {key or gateway.key}", **headers}
    return httpx.post(gateway.url + path, json=body, headers=sent, timeout=30)


def test_invalid_requests_are_400_in_each_wire_before_any_provider_call(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, anthropic_emulator = emulators
    bad_temperature = post(gateway, CHAT, {"model": "default", "messages": HELLO, "temperature": 7})
    assert bad_temperature.status_code == 400
    error = bad_temperature.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "temperature"
    broken = httpx.post(
        gateway.url + CHAT,
        content=b"{nope",
        timeout=10,
        headers={"authorization": f"Bearer {gateway.key}", "content-type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    no_max_tokens = post(gateway, MESSAGES, {"model": "default", "messages": HELLO})
    assert no_max_tokens.status_code == 400
    assert no_max_tokens.json()["type"] == "error"
    assert no_max_tokens.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    bad_role = post(
        gateway,
        MESSAGES,
        {"model": "default", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
    )
    assert bad_role.status_code == 400 and "messages.0.role" in bad_role.json()["error"]["message"]
    assert openai_emulator.request_count == 0 and anthropic_emulator.request_count == 0


def test_keys_bearer_and_x_api_key_and_401s(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    by_header = httpx.post(
        gateway.url + MESSAGES,
        timeout=30,
        headers={"x-api-key": gateway.key},
        json={"model": "default", "max_tokens": 50, "messages": HELLO},
    )
    assert by_header.status_code == 200 and by_header.json()["type"] == "message"
    missing = httpx.post(gateway.url + CHAT, json={"model": "default", "messages": HELLO}, timeout=10)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
    wrong = httpx.post(
        gateway.url + MESSAGES,
        headers={"x-api-key": "tdm_not-a-key"},
        timeout=10,
        json={"model": "default", "max_tokens": 5, "messages": HELLO},
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
    assert "tdm_not-a-key" not in wrong.text


def test_unknown_model_404_and_key_limited_to_routes_403(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    unknown = post(gateway, CHAT, {"model": "no-such-model", "messages": HELLO})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    unknown_anthropic = post(
        gateway, MESSAGES, {"model": "no-such-model", "max_tokens": 5, "messages": HELLO}
    )
    assert (
        unknown_anthropic.status_code == 404
        and unknown_anthropic.json()["error"]["type"] == "not_found_error"
    )
    forbidden = post(gateway, CHAT, {"model": "default", "messages": HELLO}, key=gateway.limited_key)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "route_not_allowed"
    models = httpx.get(
        gateway.url + "/v1/models", headers={"authorization": f"Bearer {gateway.limited_key}"}
    ).json()
    assert [m["id"] for m in models["data"]] == ["cheap"]
    everything = httpx.get(
        gateway.url + "/v1/models", headers={"authorization": f"Bearer {gateway.key}"}
    ).json()
    ids = [m["id"] for m in everything["data"]]
    assert {"default", "cheap", "claude-first", "gpt-4o", "claude-3-5-sonnet-20241022"} <= set(ids)


def test_routes_direct_models_and_per_request_fallbacks(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, anthropic_emulator = emulators
    cheap = post(gateway, CHAT, {"model": "cheap", "messages": HELLO}, key=gateway.limited_key)
    assert cheap.status_code == 200 and cheap.json()["model"] == "claude-3-5-haiku-20241022"
    assert anthropic_emulator.requests[-1].json["model"] == "claude-3-5-haiku-20241022"
    direct = post(gateway, CHAT, {"model": "openai/gpt-4o-mini", "messages": HELLO})
    assert (
        direct.json()["model"] == "gpt-4o-mini"
        and openai_emulator.requests[-1].json["model"] == "gpt-4o-mini"
    )
    openai_emulator.faults.set_default(Fault(status=500))
    fell_back = post(
        gateway,
        CHAT,
        {"model": "gpt-4o-mini", "messages": HELLO, "fallbacks": ["anthropic:claude-3-5-haiku-20241022"]},
    )
    assert fell_back.status_code == 200 and fell_back.json()["model"] == "claude-3-5-haiku-20241022"
    assert fell_back.headers["x-tandem-failover"] == "true"
    alone = post(gateway, CHAT, {"model": "openai", "messages": HELLO, "fallbacks": []})
    assert (
        alone.status_code == 503
        and anthropic_emulator.requests[-1].json["model"] == "claude-3-5-haiku-20241022"
    )


def test_rate_limit_429_with_retry_after(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    body = {"model": "cheap", "max_tokens": 20, "messages": HELLO}
    statuses = [post(gateway, MESSAGES, body, key=gateway.limited_key) for _ in range(4)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert limited[0].json()["error"]["type"] == "rate_limit_error"
    assert int(limited[0].headers["retry-after"]) >= 1
    assert "x-should-retry" not in limited[0].headers  # a minute's limit: retrying helps


def test_budget_spent_429_and_ledger_rows_carry_the_key_name(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    first = post(gateway, CHAT, {"model": "default", "messages": HELLO}, key=gateway.budget_key)
    assert first.status_code == 200
    second = post(gateway, CHAT, {"model": "default", "messages": HELLO}, key=gateway.budget_key)
    assert second.status_code == 429 and second.json()["error"]["code"] == "insufficient_quota"
    assert int(second.headers["retry-after"]) > 0
    assert second.headers["x-should-retry"] == "false"  # a day's budget: the SDK must not retry
    deadline = time.monotonic() + 30
    rows: list[tuple[str, str, str]] = []
    while time.monotonic() < deadline:
        with sqlite3.connect(gateway.database) as db:
            rows = db.execute(
                "SELECT client, feature, provider FROM ai_usage WHERE client = 'go-worker'"
            ).fetchall()
        if rows:
            break
        time.sleep(0.3)
    assert rows == [("go-worker", "gateway", "openai")]


def test_body_over_the_limit_is_413_in_wire_shape(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    huge = {"model": "default", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 10_000_001}]}
    response = post(gateway, MESSAGES, huge)
    assert response.status_code == 413 and response.json()["error"]["type"] == "request_too_large"


def test_openai_stream_wire_exactly(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    with httpx.stream(
        "POST",
        gateway.url + CHAT,
        headers={"authorization": f"Bearer {gateway.key}"},
        timeout=30,
        json={"model": "default", "messages": HELLO, "stream": True},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"


def _stream_lines(gateway: Gateway, path: str) -> list[str]:
    body = {"model": "default", "max_tokens": 50, "messages": HELLO, "stream": True}
    with httpx.stream(
        "POST", gateway.url + path, headers={"authorization": f"Bearer {gateway.key}"}, json=body, timeout=30
    ) as response:
        assert response.status_code == 200
        return [line for line in response.iter_lines() if line]


def _ended_cleanly(path: str, lines: list[str]) -> bool:
    if path == CHAT:
        return lines[-1] == "data: [DONE]"
    return lines[-1] == 'data: {"type":"message_stop"}'


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
def test_stream_cut_after_it_started_is_continued_by_the_fallback_into_the_whole_answer(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], path: str
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.push(Fault(stream_error_after=2, times=1))
    lines = _stream_lines(gateway, path)
    assert _ended_cleanly(path, lines), lines[-3:]
    assert _streamed_text(lines).endswith("hello there")  # one token per event, none lost or doubled


@pytest.mark.parametrize("path", [CHAT, MESSAGES])
def test_stream_cut_that_nobody_can_continue_ends_with_the_wires_error_event(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator], path: str
) -> None:
    openai_emulator, anthropic_emulator = emulators
    openai_emulator.faults.push(Fault(stream_error_after=2, times=1))
    anthropic_emulator.faults.set_default(Fault(status=500))
    lines = _stream_lines(gateway, path)
    assert not _ended_cleanly(path, lines), lines[-3:]
    if path == CHAT:
        assert lines[-1].startswith('data: {"error":') and "data: [DONE]" not in lines
    else:
        assert lines[-2] == "event: error" and '"type":"error"' in lines[-1]


def _streamed_text(lines: list[str]) -> str:
    """The text of an OpenAI or Anthropic SSE stream, from its content deltas."""
    text = []
    for line in lines:
        if not line.startswith("data: {"):
            continue
        event = json.loads(line.removeprefix("data: "))
        for choice in event.get("choices") or []:
            text.append((choice.get("delta") or {}).get("content") or "")
        delta = event.get("delta") or {}
        if event.get("type") == "content_block_delta" and delta.get("type") == "text_delta":
            text.append(delta.get("text") or "")
    return "".join(text)
