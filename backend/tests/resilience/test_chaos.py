"""The chaos suite, small and seeded: real uvicorn, emulator processes, Redis-shared state."""

from __future__ import annotations

import pytest

from benchmarks.chaos import check, run_chaos


@pytest.mark.timeout(300)
def test_small_seeded_chaos_run_meets_every_target(redis_url: str) -> None:
    summaries = run_chaos(calls=200, down_calls=40, concurrency=16, seed=11)
    assert check(summaries) == [], summaries
    names = [s["scenario"] for s in summaries]
    assert len(names) == 6
    mixed = summaries[0]
    assert mixed["calls"] == 200 and mixed["shared_state"] == "redis"
    assert sum(s["silent_truncations"] + s["over_deadline"] for s in summaries) == 0
