"""The async stream bound's own cost: `bounded_chunks` vs `asyncio.timeout` around each read.

Three sides over the same in-memory stream of 9 chunks (a gateway stream's count: role,
five words, finish, usage, end), each chunk one real suspension (`asyncio.sleep(0)`), on
uvloop as the server runs, interleaved in one run:

* bare: the stream alone, unbounded -- the floor;
* `asyncio.timeout` per chunk: the bound as the engine kept it before `WaitBound`;
* `bounded_chunks`: the engine's bound now (one timer per stream, moved lazily).

CPU microseconds per stream, median of the rounds, and the bound's cost above bare.

    cd backend && .venv/bin/python -m benchmarks.bench_stream_bounds [--streams 3000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import uvloop

from app.ai.providers.engine.bounded_reads import bounded_chunks

CHUNKS = 9


class _Waits:
    def chunk_wait(self, _scope: object) -> float:
        return 30.0

    def wait_error(self, _scope: object) -> Exception:
        return TimeoutError()


async def _stream() -> AsyncIterator[int]:
    for number in range(CHUNKS):
        await asyncio.sleep(0)
        yield number


async def _per_chunk_timeout(inner: AsyncIterator[int]) -> AsyncIterator[int]:
    while True:
        try:
            async with asyncio.timeout(30.0):
                chunk = await anext(inner)
        except StopAsyncIteration:
            return
        yield chunk


SIDES: dict[str, Callable[[], AsyncIterator[int]]] = {
    "bare": _stream,
    "asyncio.timeout per chunk": lambda: _per_chunk_timeout(_stream()),
    "bounded_chunks": lambda: bounded_chunks(_stream(), cast(Any, _Waits()), cast(Any, None)),
}


async def _cpu_us_per_stream(make: Callable[[], AsyncIterator[int]], streams: int) -> float:
    started = time.process_time()
    for _ in range(streams):
        async for _ in make():
            pass
    return (time.process_time() - started) / streams * 1e6


async def main(streams: int, rounds: int) -> None:
    figures: dict[str, list[float]] = {name: [] for name in SIDES}
    for _ in range(rounds):
        for name, make in SIDES.items():
            figures[name].append(await _cpu_us_per_stream(make, streams))
    bare = statistics.median(figures["bare"])
    print(f"{CHUNKS} chunks a stream, {streams} streams x {rounds} rounds, CPU µs per stream (median)\n")
    print("| side | µs per stream | above bare |")
    print("|---|---|---|")
    for name, values in figures.items():
        value = statistics.median(values)
        print(f"| {name} | {value:.1f} | {value - bare:+.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    uvloop.run(main(args.streams, args.rounds))
