"""End to end: the REAL server process (`python -m app.cli serve`) on a temp SQLite file,
providers = the emulators, every AI endpoint called over HTTP (SSE streams parsed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulators import Fault, RunningEmulator
from tests.features.conftest import sse_events
from tests.support.serving import wait_until_serving

BACKEND = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(
    tmp_path: Path, openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator
) -> Iterator[str]:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AI_", "OPENAI_", "ANTHROPIC_"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
        "AUTH_MODE": "local-dev",
        "OPENAI_API_KEY": "sk-e2e-openai",
        "OPENAI_BASE_URL": openai_emulator.base_url,
        "ANTHROPIC_API_KEY": "sk-ant-e2e-anthropic",
        "ANTHROPIC_BASE_URL": anthropic_emulator.base_url,
        "AI_BACKOFF_BASE": "0.01",
        "AI_BACKOFF_MAX": "0.02",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base, 30)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_every_ai_endpoint_over_http(server: str, openai_emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=server, timeout=20) as http:
        recs = http.post("/api/v1/candidates/1/recommendations", json={"limit": 3})
        assert recs.status_code == 200 and recs.headers["X-AI-Provider"] == "openai"
        assert len(recs.json()["items"]) == 3
        matches = http.post("/api/v1/jobs/1/matches")
        assert matches.status_code == 200 and matches.json()["items"]
        qa = http.post("/api/v1/qa", json={"question": "How do I negotiate salary?"})
        assert qa.status_code == 200 and qa.json()["citations"]
        letter = http.post("/api/v1/cover-letters", json={"candidate_id": 1, "job_id": 1})
        assert letter.status_code == 200 and letter.json()["letter"]
        with http.stream(
            "POST", "/api/v1/cover-letters", json={"candidate_id": 1, "job_id": 1, "stream": True}
        ) as stream:
            events = sse_events(stream.read().decode())
        assert events[-1][0] == "done" and any(name == "token" for name, _ in events)

        conversation = http.post("/api/v1/assistant/conversations", json={}).json()["id"]
        openai_emulator.faults.push(Fault(times=1), Fault(status=503, times=10))
        with http.stream(
            "POST",
            f"/api/v1/assistant/conversations/{conversation}/messages",
            json={"content": "get_candidate 1 please"},
            headers={"Accept": "text/event-stream"},
        ) as stream:
            events = sse_events(stream.read().decode())
        names = [name for name, _ in events]
        assert "tool_call" in names and names[-1] == "done"
        assert events[-1][1]["provider"] == "anthropic" and events[-1][1]["failover"] is True
        history = http.get(f"/api/v1/assistant/conversations/{conversation}").json()
        assert len(history["messages"]) == 4
        assert http.post("/api/v1/jobs/424242/matches").status_code == 404
        assert http.post("/api/v1/qa", json={"question": ""}).status_code == 422
        spec = http.get("/openapi.json").json()
        operation = spec["paths"]["/api/v1/qa"]["post"]
        assert "ai" in operation["tags"] and "503" in operation["responses"]
