"""Circuit cooldowns: 2 s first; each failed half-open probe doubles the time from the
first opening to the next half-open (waits 2, 2, 4, 8 s...), capped; `retry-after` wins."""

from __future__ import annotations

import time
import uuid

import pytest

from app.ai.providers.policies.redis_store import RedisStore
from app.ai.providers.policies.state_store import CircuitPolicy, MemoryStore, Outcome, StateStore

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


def test_each_failed_probe_doubles_the_schedule_from_the_first_opening_up_to_the_cap(
    store: StateStore,
) -> None:
    base, cap = 0.1, 0.3
    failure = Outcome(ok=False, cooldown=base, reason="server_error 500", escalate=True, max_cooldown=cap)
    opened = time.time()
    assert store.record("p", failure, POLICY) == "open"
    assert _open_for(store) == pytest.approx(base, abs=0.03)
    for doubling in (2, 4, 8, 16):
        wait = _fail_probe(store, failure)
        # The next half-open comes `base * doubling` after the first opening, but never
        # sooner than `base` nor later than `cap` from now.
        expected = min(max(opened + base * doubling - time.time(), base), cap)
        assert wait == pytest.approx(expected, abs=0.03), doubling
    assert wait == pytest.approx(cap, abs=0.03)


def test_a_three_second_outage_is_probed_again_four_seconds_after_it_opened(store: StateStore) -> None:
    # The default 2 s cooldown: the probe at 2 s fails inside the outage; the next
    # half-open is at 4 s from the opening (not 6 s), so a primary that recovered at
    # 3 s is used again about a second later.
    failure = Outcome(ok=False, cooldown=2.0, reason="server_error 503", escalate=True, max_cooldown=120)
    opened = time.time()
    store.record("p", failure, POLICY)
    wait = _fail_probe(store, failure)
    assert opened + 3.9 <= time.time() + wait <= opened + 4.3  # doubling the wait: 6 s


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
