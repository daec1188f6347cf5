"""`streaming.coalesced`: parts ready together go out in one write, none waits for company."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.ai.gateway.streaming import coalesced


async def _burst_then_pause() -> AsyncIterator[bytes]:
    for part in (b"a", b"b", b"c"):  # produced without waiting: one network read's worth
        yield part
    await asyncio.sleep(0.05)  # the provider is thinking
    yield b"d"


async def test_parts_ready_together_are_written_together_and_a_late_one_alone() -> None:
    writes = [part async for part in coalesced(_burst_then_pause())]
    assert writes == [b"abc", b"d"]


async def test_the_first_part_is_not_held_back_waiting_for_more() -> None:
    async def slow() -> AsyncIterator[bytes]:
        yield b"first"
        await asyncio.sleep(10)
        yield b"never"

    stream = coalesced(slow())
    assert await asyncio.wait_for(anext(stream), timeout=1) == b"first"
    await stream.aclose()  # closing the writer stops the pump (no 10 s wait)


async def test_an_error_after_some_parts_reaches_the_writer_after_those_parts() -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"x"
        await asyncio.sleep(0)
        raise RuntimeError("provider gone")

    seen: list[bytes] = []
    with pytest.raises(RuntimeError, match="provider gone"):
        async for part in coalesced(failing()):
            seen.append(part)
    assert seen == [b"x"]


async def test_closing_the_writer_runs_the_source_cleanup() -> None:
    cleaned = asyncio.Event()

    async def source() -> AsyncIterator[bytes]:
        try:
            yield b"x"
            await asyncio.sleep(10)
        finally:
            cleaned.set()

    stream = coalesced(source())
    await anext(stream)
    await stream.aclose()
    assert cleaned.is_set()
