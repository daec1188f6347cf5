"""The async stream bound (`bounded_chunks` on `WaitBound`): what a caller of a stream sees.

The first-token and idle timeouts end to end (real engine, emulated providers) are in
`tests/providers/test_rescue.py`; these pin the bound's own rules, which that suite
cannot time precisely: only waits count, a deadline may move either way, and a cancel
that is not the bound's stays a cancel.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from app.ai.providers.engine.bounded_reads import bounded_chunks


class WaitedTooLong(Exception):
    """The error the stand-in call gives for a wait that ran out."""


class Waits:
    """A stand-in for `CallState`'s two stream methods: the bound of each successive
    wait (the last one repeats), and the error for one that ran out."""

    def __init__(self, *seconds: float) -> None:
        self.seconds = list(seconds)
        self.asked = 0

    def chunk_wait(self, _scope: object) -> float:
        self.asked += 1
        return self.seconds.pop(0) if len(self.seconds) > 1 else self.seconds[0]

    def wait_error(self, _scope: object) -> Exception:
        return WaitedTooLong(f"wait {self.asked} ran out")


async def paced(*gaps: float) -> AsyncIterator[int]:
    """A stream whose chunk n comes `gaps[n]` seconds after the previous one."""
    for number, gap in enumerate(gaps):
        await asyncio.sleep(gap)
        yield number


def bounded(stream: AsyncIterator[int], waits: Waits) -> AsyncIterator[int]:
    return bounded_chunks(stream, cast(Any, waits), cast(Any, None))


async def test_a_wait_past_its_bound_raises_the_calls_error_at_the_bound() -> None:
    started = time.monotonic()
    with pytest.raises(WaitedTooLong, match="wait 3 ran out"):
        async for _ in bounded(paced(0, 0, 5), Waits(0.2)):
            pass
    assert 0.15 < time.monotonic() - started < 1.5


async def test_many_waits_each_under_the_bound_never_add_up_to_a_timeout() -> None:
    chunks = [c async for c in bounded(paced(*[0.06] * 8), Waits(0.2))]  # 0.48 s in all
    assert chunks == list(range(8))


async def test_time_the_consumer_holds_a_chunk_does_not_count_and_is_never_cancelled() -> None:
    seen = []
    async for chunk in bounded(paced(0, 0, 0), Waits(0.05)):
        await asyncio.sleep(0.2)  # four bounds' worth between waits: not a wait
        seen.append(chunk)
    assert seen == [0, 1, 2]


async def test_a_shorter_bound_than_the_last_takes_effect_at_once() -> None:
    # The first wait may take 30 s (a first-token bound); the next only 0.2 s (idle).
    started = time.monotonic()
    with pytest.raises(WaitedTooLong, match="wait 2"):
        async for _ in bounded(paced(0, 30), Waits(30, 0.2)):
            pass
    assert time.monotonic() - started < 2


async def test_a_longer_bound_after_a_short_one_is_waited_in_full() -> None:
    chunks = [c async for c in bounded(paced(0.05, 0.5), Waits(0.2, 2))]
    assert chunks == [0, 1]


async def test_a_callers_cancel_during_a_wait_stays_a_cancel() -> None:
    async def read() -> list[int]:
        return [c async for c in bounded(paced(0, 30), Waits(10))]

    task = asyncio.create_task(read())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_a_callers_cancel_that_comes_with_the_bounds_own_stays_a_cancel() -> None:
    async def read() -> list[int]:
        return [c async for c in bounded(paced(30), Waits(0.1))]

    loop = asyncio.get_running_loop()
    task = asyncio.create_task(read())
    # The loop stalls past the bound's deadline (0.1 s) and the caller's cancel (0.12 s):
    # both then fire in one turn of the loop, before the task runs again.
    loop.call_later(0.05, time.sleep, 0.2)
    loop.call_later(0.12, task.cancel)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_an_outer_timeout_stays_the_outer_timeout_not_a_stream_wait() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        async with asyncio.timeout(0.2):
            async for _ in bounded(paced(0, 30), Waits(10)):
                pass
    assert not isinstance(caught.value, WaitedTooLong)
    assert time.monotonic() - started < 2
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_stream_that_swallows_the_bounds_cancel_leaves_none_on_the_task() -> None:
    """A provider stream that catches the cancellation and just ends: the reader gets a
    normal end, and no cancel request stays on its task (a later `asyncio.timeout` in
    it would report a timeout as a cancellation)."""

    async def swallowing() -> AsyncIterator[int]:
        yield 0
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return

    chunks = [c async for c in bounded(swallowing(), Waits(0.1))]
    assert chunks == [0]
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await asyncio.sleep(1)


async def test_a_stream_left_early_leaves_no_timer_behind() -> None:
    stream = bounded(paced(0, 0), Waits(0.05))
    assert await anext(stream) == 0
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0.2)  # past the bound: nothing may cancel this task now
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_bound_that_runs_out_as_the_chunk_arrives_lets_the_chunk_through_or_times_out() -> None:
    """Either outcome is a correct one; what may not happen is a stray cancel left on
    the task (a later await would fail for no reason)."""
    for _ in range(20):
        try:
            async for _ in bounded(paced(0, 0.05), Waits(0.05)):
                pass
        except WaitedTooLong:
            pass
        assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
        await asyncio.sleep(0)
