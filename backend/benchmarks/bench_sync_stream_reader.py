"""What the sync stream's bounded reads cost: direct iteration vs `BoundedReader`.

Run from backend/:  .venv/bin/python -m benchmarks.bench_sync_stream_reader [--chunks 200] [--runs 300]

The sync `stream()` reads the provider's stream in a helper thread so that the
first-token and idle timeouts bound each wait (`engine/bounded_reads.py`). This measures
that machinery alone, on an in-memory stream of `--chunks` chunks (a typical answer is a
few hundred), both sides interleaved in one run: median and p99 per stream, and the
difference per stream. Network and model time are left out on purpose -- they are the
same on both sides and would hide the difference.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from app.ai.providers.engine.bounded_reads import BoundedReader


class _Bounds:
    """The two `CallState` methods the reader asks (a wait never runs out here)."""

    def chunk_wait(self, _scope: Any) -> float:
        return 10.0

    def wait_error(self, _scope: Any) -> Exception:
        return TimeoutError("unreachable")


def _chunks(n: int) -> Iterator[int]:
    yield from range(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    def direct() -> int:
        return sum(1 for _ in _chunks(args.chunks))

    def bounded() -> int:
        with BoundedReader(_chunks(args.chunks), _Bounds(), None) as reader:  # type: ignore[arg-type]
            return sum(1 for _ in reader)

    sides: dict[str, Callable[[], int]] = {"direct": direct, "bounded": bounded}
    timings: dict[str, list[float]] = {name: [] for name in sides}
    for run in range(args.runs + 10):
        for name, side in (sides.items() if run % 2 else reversed(sides.items())):
            started = time.perf_counter()
            assert side() == args.chunks
            if run >= 10:  # warm-up runs are not counted
                timings[name].append((time.perf_counter() - started) * 1e6)
    print(f"{args.chunks} chunks per stream, {args.runs} streams per side")
    for name, values in timings.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(f"  {name:8s} median {statistics.median(values):8.1f} us   p99 {p99:8.1f} us")
    added = statistics.median(timings["bounded"]) - statistics.median(timings["direct"])
    print(f"  added per stream (median): {added:.1f} us = {added / args.chunks:.2f} us per chunk")


if __name__ == "__main__":
    main()
