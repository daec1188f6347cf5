"""Circuit cooldowns: 2 s first, doubled on each failed half-open probe, `retry-after` wins."""

from __future__ import annotations

import time
import uuid

import pytest

from app.ai.providers.policies.state_store import CircuitPolicy, MemoryStore, Outcome, RedisStore, StateStore

POLICY = CircuitPolicy(min_failures=1, half_open_probes=1, probe_ttl_seconds=5)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return MemoryStore()
    return RedisStore(request.getfixturevalue("redis_url"), f"test:{uuid.uuid4().hex}")


def _open_for(store: StateStore) -> float:
    admission = store.admit("p", POLICY)
    assert admission.state == "open" and admission.open_until is not None
    return admission.open_until - time.time()


def _fail_probe(store: StateStore, outcome: Outcome) -> float:
    time.sleep(max(0.0, _open_for(store)) + 0.02)
    assert store.admit("p", POLICY).state == "probe"
    assert store.record("p", outcome, POLICY) == "open"
    return _open_for(store)


def test_each_failed_probe_doubles_the_cooldown_up_to_the_cap(store: StateStore) -> None:
    failure = Outcome(ok=False, cooldown=0.05, reason="server_error 500", escalate=True, max_cooldown=0.3)
    assert store.record("p", failure, POLICY) == "open"
    first = _open_for(store)
    second = _fail_probe(store, failure)
    third = _fail_probe(store, failure)
    fourth = _fail_probe(store, failure)
    fifth = _fail_probe(store, failure)

    assert first == pytest.approx(0.05, abs=0.03)
    assert second == pytest.approx(0.1, abs=0.03)
    assert third == pytest.approx(0.2, abs=0.03)
    assert fourth == pytest.approx(0.3, abs=0.03) and fifth == pytest.approx(0.3, abs=0.03)  # capped


def test_a_success_resets_the_doubling(store: StateStore) -> None:
    failure = Outcome(ok=False, cooldown=0.05, reason="x", escalate=True, max_cooldown=1.0)
    store.record("p", failure, POLICY)
    _fail_probe(store, failure)  # 0.1 s
    time.sleep(_open_for(store) + 0.02)
    assert store.admit("p", POLICY).state == "probe"
    assert store.record("p", Outcome(ok=True), POLICY) == "closed"

    store.record("p", failure, POLICY)
    assert _open_for(store) == pytest.approx(0.05, abs=0.03)


def test_retry_after_is_not_doubled(store: StateStore) -> None:
    hinted = Outcome(ok=False, cooldown=0.08, reason="rate_limited 429", escalate=False, max_cooldown=1.0)
    store.record("p", hinted, POLICY)
    assert _fail_probe(store, hinted) == pytest.approx(0.08, abs=0.03)
