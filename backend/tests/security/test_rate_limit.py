"""Per-client rate limits and concurrency caps on AI routes: stores, fallback, and the HTTP edge."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.security.limit_store import LimitStore, MemoryLimitStore, RedisLimitStore
from app.security.policy import is_ai_route, required_scope
from app.security.rate_limit import ClientLimiter
from emulators import Fault, RunningEmulator

BODY = {"messages": [{"role": "user", "content": "hello"}]}


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> LimitStore:
    if request.param == "memory":
        return MemoryLimitStore()
    url: str = request.getfixturevalue("redis_url")
    # A fresh prefix per test: keys of earlier runs (alive for a window) never interfere.
    return RedisLimitStore(url, prefix=f"tandem-test:limits:{uuid.uuid4().hex}:")


def test_sliding_window_allows_the_limit_then_says_how_long_to_wait(store: LimitStore) -> None:
    assert store.hit("c", 2, 60.0, now=1000.0) is None
    assert store.hit("c", 2, 60.0, now=1010.0) is None
    wait = store.hit("c", 2, 60.0, now=1020.0)
    assert wait == pytest.approx(40.0)
    assert store.hit("other", 2, 60.0, now=1020.0) is None  # per client
    assert store.hit("c", 2, 60.0, now=1060.5) is None  # the first call left the window


def test_concurrency_leases_cap_release_and_expire(store: LimitStore) -> None:
    first = store.acquire("c", 2, 30.0, now=0.0)
    second = store.acquire("c", 2, 30.0, now=1.0)
    assert first and second and first != second
    assert store.acquire("c", 2, 30.0, now=2.0) is None
    store.release("c", first)
    third = store.acquire("c", 2, 30.0, now=3.0)
    assert third is not None
    # A lease of a crashed worker expires: at t=32 `second` (t=1) is gone.
    assert store.acquire("c", 2, 30.0, now=32.0) is not None


def test_redis_limits_are_shared_between_workers(redis_url: str) -> None:
    prefix = f"tandem-test:limits:{uuid.uuid4().hex}:"
    worker_a = ClientLimiter(RedisLimitStore(redis_url, prefix), 3, 1, 30.0)
    worker_b = ClientLimiter(RedisLimitStore(redis_url, prefix), 3, 1, 30.0)
    assert worker_a.check_rate("c") is None
    assert worker_b.check_rate("c") is None
    assert worker_a.check_rate("c") is None
    assert worker_b.check_rate("c") is not None
    lease = worker_a.acquire("c")
    assert lease is not None and worker_b.acquire("c") is None
    worker_a.release(lease)
    assert worker_b.acquire("c") is not None


def test_unreachable_redis_falls_back_to_process_limits(caplog: pytest.LogCaptureFixture) -> None:
    limiter = ClientLimiter(
        RedisLimitStore("redis://127.0.0.1:1/0", "x:", timeout=0.05), 1, 1, 30.0,
        fallback=MemoryLimitStore(),
    )
    assert limiter.check_rate("c") is None
    assert limiter.check_rate("c") is not None
    lease = limiter.acquire("c")
    assert lease is not None and limiter.acquire("c") is None
    limiter.release(lease)
    assert limiter.acquire("c") is not None
    assert "rate-limit store unavailable" in caplog.text


def test_zero_means_unlimited() -> None:
    limiter = ClientLimiter(MemoryLimitStore(), 0, 0, 30.0)
    assert all(limiter.check_rate("c") is None for _ in range(100))
    leases = [limiter.acquire("c") for _ in range(100)]
    assert all(lease is not None for lease in leases)


@pytest.mark.parametrize(
    ("path", "ai"),
    [
        ("/ai/complete", True),
        ("/candidates/7/recommendations", True),
        ("/jobs/3/matches", True),
        ("/qa", True),
        ("/assistant/conversations/4/messages", True),
        ("/assistant/conversations", False),
        ("/assistant/conversations/4", False),
        ("/cover-letters", True),
        ("/jobs", False),
        ("/jobs/3", False),
        ("/ai/status", False),
        ("/documents/search", False),
    ],
)
def test_policy_marks_ai_routes(path: str, ai: bool) -> None:
    assert is_ai_route(path) is ai


def test_policy_admin_paths() -> None:
    assert required_scope("/ai/status") == "admin"
    assert required_scope("/usage/daily") == "admin"
    assert required_scope("/ai/statusx") == "user"
    assert required_scope("/jobs") == "user"
    assert required_scope("/jobs", "POST") == "editor"
    assert required_scope("/candidates/import", "POST") == "editor"
    assert required_scope("/documents/7", "DELETE") == "editor"
    assert required_scope("/jobs/7", "PATCH") == "editor"
    assert required_scope("/candidates/7/recommendations", "POST") == "user"
    assert required_scope("/jobs/7/matches", "POST") == "user"
    assert required_scope("/assistant/conversations", "POST") == "user"


def test_rate_limit_answers_429_with_retry_after_and_json(
    secured_app: Callable[..., FastAPI], user_key: str, make_key: Callable[..., str]
) -> None:
    with TestClient(secured_app(AI_RATE_LIMIT_PER_MINUTE=2)) as client:
        for _ in range(2):
            assert client.post("/api/v1/ai/complete", json=BODY, headers=_bearer(user_key)).status_code == 200
        limited = client.post("/api/v1/ai/complete", json=BODY, headers=_bearer(user_key))
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        detail = limited.json()["detail"]
        assert detail["error"] == "rate_limited" and "AI_RATE_LIMIT_PER_MINUTE" in detail["message"]
        assert detail["retry_after"] == int(limited.headers["Retry-After"])
        # Other clients and non-AI routes are not affected.
        other = make_key("user", "another client")
        assert client.post("/api/v1/ai/complete", json=BODY, headers=_bearer(other)).status_code == 200
        assert client.get("/api/v1/jobs", headers=_bearer(user_key)).status_code == 200


async def test_concurrency_cap_holds_until_the_answer_is_done(
    secured_app: Callable[..., FastAPI], user_key: str, openai_emulator: RunningEmulator
) -> None:
    app = secured_app(AI_MAX_CONCURRENT_PER_CLIENT=1)
    openai_emulator.faults.push(Fault(delay=0.4))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        slow = asyncio.create_task(client.post("/api/v1/ai/complete", json=BODY, headers=_bearer(user_key)))
        await asyncio.sleep(0.15)
        refused = await client.post("/api/v1/ai/complete", json=BODY, headers=_bearer(user_key))
        assert refused.status_code == 429
        assert refused.json()["detail"]["error"] == "too_many_concurrent_calls"
        assert refused.headers["Retry-After"] == "1"
        assert (await slow).status_code == 200
        after = await client.post("/api/v1/ai/complete", json=BODY, headers=_bearer(user_key))
        assert after.status_code == 200


@pytest.fixture()
def served(secured_app: Callable[..., FastAPI]) -> Iterator[str]:
    """A real uvicorn server (ASGITransport would buffer a stream before returning it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(secured_app(AI_MAX_CONCURRENT_PER_CLIENT=1), host="127.0.0.1", port=port,
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_streamed_answer_holds_its_slot_until_the_stream_ends(
    served: str, user_key: str, openai_emulator: RunningEmulator
) -> None:
    openai_emulator.faults.push(Fault(token_delay=0.05))
    body = {"messages": [{"role": "user", "content": "tokens=8"}], "stream": True}
    with httpx.Client(base_url=served, headers=_bearer(user_key), timeout=10) as client:
        with client.stream("POST", "/api/v1/ai/complete", json=body) as stream:
            assert stream.status_code == 200
            chunks = stream.iter_text()
            assert next(chunks)
            during = client.post("/api/v1/ai/complete", json=BODY)
            assert during.status_code == 429
            assert "event: done" in "".join(chunks)
        # The slot is released just after the last byte is sent: allow the server a moment.
        statuses = []
        for _ in range(20):
            statuses.append(client.post("/api/v1/ai/complete", json=BODY).status_code)
            if statuses[-1] == 200:
                break
            time.sleep(0.05)
        assert statuses[-1] == 200, statuses
