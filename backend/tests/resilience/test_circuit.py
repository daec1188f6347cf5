"""Circuit breakers against the emulators over real HTTP, in-process and through Redis."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.ai.providers import build_runtime
from app.ai.providers.policies.circuit import CircuitBreaker
from app.ai.providers.policies.redis_store import FallbackStore, RedisStore, build_store
from app.ai.providers.policies.state_store import CircuitPolicy, MemoryStore, Outcome, StateStore
from app.core.config import ConfigError, Settings, load_settings
from emulators import Fault, RunningEmulator
from tests.resilience.conftest import build_model


def _skipped(meta: dict) -> dict[str, str]:
    return {s["provider"]: s["reason"] for s in meta["skipped"]}


async def _open_primary(model: object, emulators: dict[str, RunningEmulator], fault: Fault) -> None:
    emulators["openai"].faults.set_default(fault)
    for _ in range(3):  # AI_CIRCUIT_MIN_FAILURES=3 in these settings
        answer = await model.ainvoke("hello")  # type: ignore[attr-defined]
        assert answer.response_metadata["hybrid"]["provider"] == "anthropic"


async def test_failure_burst_opens_the_circuit_and_an_open_circuit_costs_nothing(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings())
    await _open_primary(model, emulators, Fault(status=500))
    emulators["openai"].faults.set_default(Fault(delay=2.0))  # would cost 2 s if contacted
    started = time.monotonic()
    answer = await model.ainvoke("hello")
    meta = answer.response_metadata["hybrid"]
    assert time.monotonic() - started < 0.5
    assert emulators["openai"].request_count == 3  # not contacted after the burst
    assert meta["provider"] == "anthropic"
    assert [a["provider"] for a in meta["attempts"]] == ["anthropic"]
    assert _skipped(meta)["openai"].startswith("circuit open (server_error 500")
    snapshot = model.health.snapshot(["openai", "anthropic"])  # type: ignore[attr-defined]
    assert snapshot["openai"]["state"] == "open" and snapshot["anthropic"]["state"] == "closed"


async def test_half_open_probe_closes_the_circuit_on_success(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_CIRCUIT_COOLDOWN_SECONDS=0.3))
    await _open_primary(model, emulators, Fault(status=503))
    emulators["openai"].faults.clear()
    await asyncio.sleep(0.35)
    probe = await model.ainvoke("hello")
    assert probe.response_metadata["hybrid"]["provider"] == "openai"
    assert model.health.snapshot()["openai"]["state"] == "closed"  # type: ignore[attr-defined]
    after = await model.ainvoke("hello")
    assert after.response_metadata["hybrid"]["provider"] == "openai"


async def test_half_open_allows_limited_probes_and_a_failed_probe_reopens(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_CIRCUIT_COOLDOWN_SECONDS=0.3))
    await _open_primary(model, emulators, Fault(status=500))
    await asyncio.sleep(0.35)
    emulators["openai"].faults.set_default(Fault(delay=0.3, status=500))
    before = emulators["openai"].request_count
    answers = await asyncio.gather(*(model.ainvoke("hello") for _ in range(4)))
    assert emulators["openai"].request_count == before + 1  # one probe (AI_CIRCUIT_HALF_OPEN_PROBES=1)
    reasons = [_skipped(a.response_metadata["hybrid"]).get("openai", "") for a in answers]
    assert sum(r.startswith("circuit half-open") for r in reasons) == 3
    assert model.health.snapshot()["openai"]["state"] == "open"  # type: ignore[attr-defined]


async def test_retry_after_drives_the_cooldown(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_CIRCUIT_COOLDOWN_SECONDS=30))
    await _open_primary(model, emulators, Fault(status=429, retry_after=0.4))
    answer = await model.ainvoke("hello")
    assert "half-open in 0.4s" in _skipped(answer.response_metadata["hybrid"])["openai"]
    emulators["openai"].faults.clear()
    await asyncio.sleep(0.45)
    recovered = await model.ainvoke("hello")
    assert recovered.response_metadata["hybrid"]["provider"] == "openai"


async def test_provider_fatal_error_opens_at_once_for_longer(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_CIRCUIT_FATAL_COOLDOWN_SECONDS=600))
    emulators["openai"].faults.set_default(Fault(status=401))
    await model.ainvoke("hello")
    answer = await model.ainvoke("hello")
    assert emulators["openai"].request_count == 1
    reason = _skipped(answer.response_metadata["hybrid"])["openai"]
    assert reason.startswith("circuit open (authentication 401")
    assert float(re.search(r"half-open in ([\d.]+)s", reason)[1]) > 590  # type: ignore[index]


async def test_every_circuit_open_tries_the_provider_due_to_recover_first(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_CIRCUIT_COOLDOWN_SECONDS=20, AI_MAX_RETRIES=0))
    emulators["openai"].faults.set_default(Fault(status=429, retry_after=5))
    emulators["anthropic"].faults.set_default(Fault(status=529))
    for _ in range(3):
        with pytest.raises(Exception, match="All AI providers failed"):
            await model.ainvoke("hello")
    counts = {name: e.request_count for name, e in emulators.items()}
    emulators["openai"].faults.clear()
    answer = await model.ainvoke("hello")  # openai recovers in ~5 s, anthropic in 20 s
    meta = answer.response_metadata["hybrid"]
    assert meta["provider"] == "openai"
    assert emulators["openai"].request_count == counts["openai"] + 1
    assert emulators["anthropic"].request_count == counts["anthropic"]
    assert list(_skipped(meta)) == ["anthropic"]
    assert _skipped(meta)["anthropic"].endswith("kept as last resort")


async def test_open_circuit_is_the_last_resort_when_the_other_provider_fails(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings(AI_CIRCUIT_COOLDOWN_SECONDS=30, AI_MAX_RETRIES=0))
    await _open_primary(model, emulators, Fault(status=500))
    emulators["openai"].faults.clear()  # the primary is back, its circuit still open
    emulators["anthropic"].faults.push(Fault(status=500, times=1))
    answer = await model.ainvoke("hello")
    meta = answer.response_metadata["hybrid"]
    assert [(a["provider"], a["outcome"]) for a in meta["attempts"]] == [
        ("anthropic", "transient"),
        ("openai", "ok"),
    ]
    assert _skipped(meta)["openai"].endswith("kept as last resort")


async def test_request_fatal_errors_do_not_count_against_the_provider(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    model = build_model(resilience_settings())
    emulators["openai"].faults.set_default(Fault(status=400))
    for _ in range(4):
        await model.ainvoke("hello")
    assert model.health.snapshot()["openai"]["state"] == "closed"  # type: ignore[attr-defined]


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStore()
    url = request.getfixturevalue("redis_url")
    return RedisStore(url, f"test:{uuid.uuid4().hex}")


def test_store_window_needs_the_failure_ratio(store: StateStore) -> None:
    policy = CircuitPolicy(window_seconds=5, min_failures=3, failure_ratio=0.5)
    failure = Outcome(ok=False, cooldown=1.0, reason="server_error 500")
    for index in range(20):  # 30% failures: stays closed
        store.record("p", failure if index % 10 in (0, 4, 7) else Outcome(ok=True), policy)
    assert store.view("p", policy).state == "closed"
    assert store.view("p", policy).failures == 6 and store.view("p", policy).calls == 20
    for _ in range(20):
        store.record("p", failure, policy)
    view = store.view("p", policy)
    assert view.state == "open" and view.reason == "server_error 500"
    assert store.admit("p", policy).state == "open"
    store.reset("p")
    assert store.admit("p", policy).state == "closed"


def test_store_half_open_probe_slot_expires_when_the_probe_never_reports(store: StateStore) -> None:
    policy = CircuitPolicy(min_failures=1, half_open_probes=1, probe_ttl_seconds=0.2)
    store.record("p", Outcome(ok=False, trip_now=True, cooldown=0.1, reason="x"), policy)
    time.sleep(0.12)
    assert store.admit("p", policy).state == "probe"
    assert store.admit("p", policy).state == "half_open_busy"
    time.sleep(0.25)
    assert store.admit("p", policy).state == "probe"  # the lost probe freed its slot
    assert store.record("p", Outcome(ok=True), policy) == "closed"



def test_store_a_released_probe_slot_is_granted_again_at_once(store: StateStore) -> None:
    """Released = the probe ended without a verdict; refused admissions never hold a slot,
    so one release frees the circuit however many callers were turned away meanwhile."""
    policy = CircuitPolicy(min_failures=1, half_open_probes=1, probe_ttl_seconds=60)
    store.record("p", Outcome(ok=False, trip_now=True, cooldown=0.05, reason="x"), policy)
    time.sleep(0.08)
    assert store.admit("p", policy).state == "probe"
    assert [store.admit("p", policy).state for _ in range(3)] == ["half_open_busy"] * 3
    store.release_probe("p")
    assert store.admit("p", policy).state == "probe"
    store.release_probe("p")
    store.release_probe("p")  # more releases than grants never make room for two probes
    assert [store.admit("p", policy).state for _ in range(2)] == ["probe", "half_open_busy"]

async def test_redis_unreachable_falls_back_with_one_warning(
    resilience_settings: Callable[..., Settings],
    emulators: dict[str, RunningEmulator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = resilience_settings(
        AI_STATE_REDIS_URL="redis://127.0.0.1:1/0", AI_STATE_KEY_PREFIX=f"t:{uuid.uuid4().hex}"
    )
    model = build_model(settings)
    with caplog.at_level(logging.WARNING, logger="app.ai.providers"):
        await _open_primary(model, emulators, Fault(status=500))
        answer = await model.ainvoke("hello")
    assert _skipped(answer.response_metadata["hybrid"])["openai"].startswith("circuit open")
    warnings = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert model.health.snapshot()["openai"]["store"] == "memory"  # type: ignore[attr-defined]


def test_fallback_store_returns_to_redis(redis_url: str) -> None:
    store = FallbackStore(RedisStore(redis_url, f"test:{uuid.uuid4().hex}"), retry_seconds=0.0)
    assert store.backend == "redis"
    assert build_store(None).backend == "memory"
    assert store.admit("p", CircuitPolicy()).state == "closed"


def _worker(overrides: dict[str, Any], calls: int, results: Any) -> None:
    """One worker process: its own model, event loop and HTTP clients; state via Redis."""

    async def run() -> None:
        model = build_model(load_settings(_env_file=None, **overrides))
        for _ in range(calls):
            answer = await model.ainvoke("hello")
            results.put(json.dumps(answer.response_metadata["hybrid"]))

    asyncio.run(run())


def test_a_burst_seen_by_one_worker_opens_the_circuit_for_all_workers(
    redis_url: str, emulators: dict[str, RunningEmulator]
) -> None:
    overrides = {
        "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": emulators["openai"].base_url,
        "ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": emulators["anthropic"].base_url,
        "AI_CIRCUIT_ENABLED": True, "AI_CIRCUIT_MIN_FAILURES": 3, "AI_CIRCUIT_COOLDOWN_SECONDS": 30,
        "AI_STATE_REDIS_URL": redis_url, "AI_STATE_KEY_PREFIX": f"test:{uuid.uuid4().hex}",
        "AI_REQUEST_TIMEOUT": 2, "AI_REQUEST_DEADLINE": 4,
    }
    emulators["openai"].faults.set_default(Fault(status=500))
    # fork: real separate processes that need not re-import the whole stack.
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def phase(workers: int, calls: int) -> list[dict[str, Any]]:
        processes = [context.Process(target=_worker, args=(overrides, calls, results)) for _ in range(workers)]
        for process in processes:
            process.start()
        metas = [json.loads(results.get(timeout=30)) for _ in range(workers * calls)]
        for process in processes:
            process.join(timeout=10)
            assert process.exitcode == 0
        return metas

    burst = phase(1, 3)
    assert [m["provider"] for m in burst] == ["anthropic"] * 3
    assert emulators["openai"].request_count == 3
    others = phase(3, 2)
    assert emulators["openai"].request_count == 3  # no other worker paid for the outage again
    assert all(_skipped(m)["openai"].startswith("circuit open") for m in others)


async def test_circuit_snapshot_reports_the_breaker_that_served_the_calls(
    resilience_settings: Callable[..., Settings], emulators: dict[str, RunningEmulator]
) -> None:
    serving = build_runtime(resilience_settings())
    other = build_runtime(resilience_settings(AI_CIRCUIT_MIN_FAILURES=50))  # built later, never called
    await _open_primary(serving.model(), emulators, Fault(status=500))
    snapshot = serving.circuit_snapshot(["openai", "anthropic"])
    assert set(snapshot) >= {"openai", "anthropic"}
    assert snapshot["openai"]["state"] == "open" and snapshot["anthropic"]["state"] == "closed"
    assert other.circuit_snapshot(["openai"])["openai"]["state"] == "closed"
    assert isinstance(CircuitBreaker(MemoryStore()).snapshot(["x"])["x"]["state"], str)


def test_circuit_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"AI_CIRCUIT_FAILURE_RATIO=1\.5: allowed values"):
        load_settings(AI_CIRCUIT_FAILURE_RATIO=1.5, _env_file=None)
    with pytest.raises(ConfigError, match="AI_CIRCUIT_COOLDOWN_SECONDS=0"):
        load_settings(AI_CIRCUIT_COOLDOWN_SECONDS=0, _env_file=None)
    with pytest.raises(ConfigError, match="AI_STATE_KEY_PREFIX is empty"):
        load_settings(AI_STATE_KEY_PREFIX=" ", _env_file=None)
