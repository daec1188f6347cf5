"""FaultPlan semantics, control endpoints, recording, chaos reproducibility, raw HTTP."""

from __future__ import annotations

import functools
import socket
from typing import Any

import httpx2
import openai
import pytest

from emulators import Fault, FaultPlan, RunningEmulator

USER = [{"role": "user", "content": "ping"}]
AUTH = {"authorization": "Bearer sk-test"}


@functools.cache
def _client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, timeout=5)


def outcome(emulator: RunningEmulator) -> str:
    try:
        _client(emulator.base_url).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    except openai.APIStatusError as exc:
        return str(exc.status_code)
    return "ok"


# ------------------------------------------------------------- FaultPlan unit
def test_queue_order_and_times() -> None:
    plan = FaultPlan()
    plan.push(Fault(status=500, times=2), Fault(status=429, times=1))
    picked = [plan.next_fault() for _ in range(4)]
    assert [f.status if f else None for f in picked] == [500, 500, 429, None]


def test_times_none_applies_until_cleared_and_default() -> None:
    plan = FaultPlan()
    plan.set_default(Fault(status=503))
    plan.push(Fault(status=500, times=1))
    statuses = [getattr(plan.next_fault(), "status", None) for _ in range(3)]
    assert statuses == [500, 503, 503]
    plan.set_default(Fault(status=502, times=1))
    assert plan.next_fault().status == 502  # type: ignore[union-attr]
    assert plan.next_fault() is None
    plan.push(Fault(delay=0.01))
    assert all(plan.next_fault() is not None for _ in range(5))
    plan.clear()
    assert plan.next_fault() is None and plan.pending == 0


def test_probability_is_seeded_and_does_not_consume_times() -> None:
    def run() -> list[bool]:
        plan = FaultPlan(seed=3)
        plan.push(Fault(status=500, probability=0.5, times=3))
        return [plan.next_fault() is not None for _ in range(20)]

    first = run()
    assert first == run()
    assert sum(first) == 3


def test_chaos_reproducible() -> None:
    mix = [(0.3, Fault(status=500)), (0.2, Fault(status=429))]

    def run(seed: int) -> list[int | None]:
        plan = FaultPlan()
        plan.chaos(seed, mix)
        return [f.status if f else None for f in (plan.next_fault() for _ in range(50))]

    assert run(11) == run(11)
    assert run(11) != run(12)
    assert {500, 429, None} <= set(run(11))
    with pytest.raises(ValueError):
        FaultPlan().chaos(1, [(0.8, Fault()), (0.5, Fault())])


def test_load_payload_shapes() -> None:
    plan = FaultPlan()
    plan.load({"status": 500, "times": 1})
    plan.load({"faults": [{"status": 429, "retry_after": 1, "times": 1}], "default": {"delay": 0.1}})
    assert plan.next_fault() == Fault(status=500, times=1)
    assert plan.next_fault() == Fault(status=429, retry_after=1, times=1)
    assert plan.next_fault() == Fault(delay=0.1)
    plan.load({"default": None, "chaos": {"seed": 1, "mix": [[1.0, {"status": 503}]]}})
    assert plan.next_fault() == Fault(status=503)
    with pytest.raises(ValueError):
        plan.load({"bogus": 1})


# ---------------------------------------------------------- through the wire
def test_chaos_over_http_is_reproducible(openai_emulator: RunningEmulator) -> None:
    mix = [(0.25, Fault(status=500)), (0.25, Fault(status=429))]

    def run() -> list[str]:
        openai_emulator.reset()
        openai_emulator.faults.chaos(42, mix)
        return [outcome(openai_emulator) for _ in range(20)]

    first = run()
    assert first == run()
    assert {"ok", "500", "429"} <= set(first)


def test_control_endpoints(openai_emulator: RunningEmulator) -> None:
    root = f"{openai_emulator.root_url}/_emulator"
    with httpx2.Client(timeout=5) as http:
        health = http.get(f"{root}/health").json()
        assert health == {"status": "ok", "provider": "openai", "requests": 0}
        assert http.post(f"{root}/faults", json={"status": 500, "times": 1}).status_code == 200
        assert http.post(f"{root}/faults", json={"faults": [{"status": 429, "times": 1}]}).json()["ok"]
        listed = http.get(f"{root}/faults").json()
        assert [q["fault"]["status"] for q in listed["queue"]] == [500, 429]
        assert outcome(openai_emulator) == "500"
        assert outcome(openai_emulator) == "429"
        assert outcome(openai_emulator) == "ok"
        http.post(f"{root}/faults", json={"default": {"status": 503}})
        assert outcome(openai_emulator) == "503"
        assert http.delete(f"{root}/faults").json() == {"ok": True}
        assert outcome(openai_emulator) == "ok"
        recorded = http.get(f"{root}/requests").json()
        assert recorded["count"] == 5
        assert recorded["requests"][0]["body"]["messages"] == USER
        assert recorded["requests"][0]["fault"]["status"] == 500
        assert recorded["requests"][-1]["fault"] is None
        http.delete(f"{root}/requests")
        assert http.get(f"{root}/requests").json() == {"count": 0, "requests": []}
        assert http.post(f"{root}/faults", json={"nope": True}).status_code == 422
        assert http.post(f"{root}/faults", content=b"[1]").status_code == 422
        assert http.post(f"{root}/faults", content=b"{not json").status_code == 400
        http.post(f"{root}/faults", json={"chaos": {"seed": 1, "mix": [[1.0, {"status": 502}]]}})
        assert outcome(openai_emulator) == "502"
        assert http.post(f"{root}/reset").json() == {"ok": True}
        assert outcome(openai_emulator) == "ok"
        assert http.get(f"{root}/nothing").status_code == 404


def test_request_recording(openai_emulator: RunningEmulator) -> None:
    _client(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o", messages=USER, temperature=0.2  # type: ignore[arg-type]
    )
    [recorded] = openai_emulator.requests
    assert recorded.method == "POST" and recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer sk-test"
    assert recorded.json == {"model": "gpt-4o", "messages": USER, "temperature": 0.2}
    assert recorded.received_at > 0 and recorded.fault is None
    assert openai_emulator.request_count == 1


def test_chunked_request_body_and_malformed_json(openai_emulator: RunningEmulator) -> None:
    url = f"{openai_emulator.base_url}/chat/completions"
    body = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "chunked hi"}]}'

    def pieces() -> Any:
        for i in range(0, len(body), 10):
            yield body[i : i + 10]

    with httpx2.Client(timeout=5) as http:
        resp = http.post(url, content=pieces(), headers=AUTH)
        assert openai_emulator.requests[-1].headers.get("transfer-encoding") == "chunked"
        assert resp.status_code == 200
        assert resp.json()["choices"][0]["message"]["content"].endswith("You said: chunked hi")
        bad = http.post(url, content=b"{oops", headers=AUTH)
        assert bad.status_code == 400
        assert bad.json()["error"]["type"] == "invalid_request_error"
        missing_url = http.post(f"{openai_emulator.base_url}/nope", json={}, headers=AUTH)
        assert missing_url.status_code == 404
        assert missing_url.json()["error"]["message"] == "Invalid URL (POST /v1/nope)"


def test_raw_stream_wire_format(openai_emulator: RunningEmulator) -> None:
    payload = {"model": "gpt-4o", "messages": USER, "stream": True}
    with httpx2.Client(timeout=5) as http:
        resp = http.post(f"{openai_emulator.base_url}/chat/completions", json=payload, headers=AUTH)
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["transfer-encoding"] == "chunked"
    events = [e for e in resp.text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"


def test_custom_in_stream_error_type(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(stream_error_after=0, error_type="rate_limit_exceeded", times=1))
    stream = _client(openai_emulator.base_url).chat.completions.create(
        model="gpt-4o", messages=USER, stream=True  # type: ignore[arg-type]
    )
    with pytest.raises(openai.APIError) as info:
        list(stream)
    assert info.value.code == "rate_limit_exceeded" and info.value.type == "requests"


def test_stream_faults_ignored_for_json_requests(openai_emulator: RunningEmulator) -> None:
    openai_emulator.faults.push(Fault(cut_after=1, times=1))
    assert outcome(openai_emulator) == "ok"
    assert openai_emulator.requests[-1].fault == Fault(cut_after=1, times=1)


def test_garbage_http_gets_400(openai_emulator: RunningEmulator) -> None:
    with socket.create_connection((openai_emulator.host, openai_emulator.port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        data = sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 400")


# ------------------------------------------------------- fault spec validation
@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"status": "abc"}, "status must be an HTTP error status"),
        ({"status": 200}, "status must be an HTTP error status"),
        ({"status": 503.5}, "status must be an HTTP error status"),
        ({"status": True}, "status must be an HTTP error status"),
        ({"status": 500, "times": -3}, "times must be an integer >= 1"),
        ({"status": 500, "times": 0}, "times must be an integer >= 1"),
        ({"delay": -1}, "delay must be a number >= 0"),
        ({"hang": "yes"}, "hang must be true or false"),
        ({"status": 500, "probability": 2}, "probability must be a number from 0 to 1"),
        ({"cut_after": -1}, "cut_after must be an integer >= 0"),
        ({"faults": [{"status": 500}, {"status": "x"}]}, "status must be an HTTP error status"),
        ({"default": {"status": 500, "times": -1}}, "times must be an integer >= 1"),
    ],
)
def test_invalid_fault_specs_get_a_clear_422_and_change_nothing(
    openai_emulator: RunningEmulator, spec: dict[str, Any], named: str
) -> None:
    root = f"{openai_emulator.root_url}/_emulator"
    with httpx2.Client(timeout=5) as http:
        response = http.post(f"{root}/faults", json=spec)
        assert response.status_code == 422
        assert named in response.json()["error"]["message"]
        assert http.get(f"{root}/faults").json() == {"queue": [], "default": None, "chaos": None}
    assert outcome(openai_emulator) == "ok"  # the emulator still answers


def test_every_problem_of_a_spec_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as caught:
        Fault.from_dict({"status": "abc", "times": -3, "colour": "red"})
    message = str(caught.value)
    assert "status must be" in message and "times must be" in message and "'colour'" in message


def test_valid_specs_still_load() -> None:
    plan = FaultPlan()
    plan.load({"status": 429, "retry_after": 2, "times": 1})
    plan.load({"faults": [{"error_type": "overloaded_error"}], "default": {"delay": 0.1, "times": None}})
    assert plan.pending == 2
