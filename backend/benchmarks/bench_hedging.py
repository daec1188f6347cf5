"""Tail latency with a stalling primary: hedging off vs on, side by side in one run.

Run from backend/:  .venv/bin/python -m benchmarks.bench_hedging [--calls 300] [--stall 10]

Both emulators run in their own processes. 5% of the primary's requests stall for
`--stall` seconds before answering (seeded `Fault(delay=..., probability=0.05)`). Three
sides run interleaved and concurrently against the same emulators:
* hedging off: the hybrid model as configured by default;
* hedging on: `AI_HEDGE_AFTER_MS=--hedge-ms`;
* secondary alone: the secondary provider by itself, for the goal's reference.
Goal: p99(hedging on) <= hedge delay + p99(secondary alone).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import time
from typing import Any

from app.ai.providers import build_runtime
from app.core.config import load_settings
from emulators import Fault, spawn_emulator_process


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(calls: int, stall: float, hedge_ms: float, concurrency: int) -> None:
    logging.getLogger("app.ai.providers").setLevel(logging.ERROR)
    with spawn_emulator_process("openai") as openai, spawn_emulator_process("anthropic") as anthropic:
        common: dict[str, Any] = {
            "_env_file": None, "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": openai.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": anthropic.base_url,
            "AI_REQUEST_TIMEOUT": stall + 5, "AI_REQUEST_DEADLINE": stall + 10, "AI_LEDGER_ENABLED": False,
            "AI_CIRCUIT_ENABLED": False,  # hedging measured alone
        }
        off_settings = load_settings(**common)
        on_settings = load_settings(**common, AI_HEDGE_AFTER_MS=hedge_ms)
        off = build_runtime(off_settings).model()
        on = build_runtime(on_settings).model()
        secondary = off.with_members([m for m in off.members if m.name == "anthropic"])
        sides = {"hedging off": off, f"hedging on ({hedge_ms:g} ms)": on, "secondary alone": secondary}
        for model in sides.values():  # warm-up: connections
            for _ in range(5):
                await model.ainvoke("warm up tokens=5")
        openai.set_default_fault(Fault(delay=stall, probability=0.05))
        results: dict[str, list[float]] = {name: [] for name in sides}
        gate = asyncio.Semaphore(concurrency)

        async def one(name: str) -> None:
            async with gate:
                started = time.perf_counter()
                await sides[name].ainvoke("benchmark tokens=20")
                results[name].append((time.perf_counter() - started) * 1000.0)

        plan = [name for _ in range(calls) for name in sides]
        random.Random(5).shuffle(plan)  # interleaved: load and stalls hit every side alike
        started = time.perf_counter()
        await asyncio.gather(*(one(name) for name in plan))
        wall = time.perf_counter() - started
    print(f"\n{calls} calls per side, concurrency {concurrency}, 5% of primary requests stalled {stall:g} s")
    print(f"{'side':<26}{'p50 ms':>10}{'p99 ms':>12}{'max ms':>12}")
    for name, values in results.items():
        print(f"{name:<26}{statistics.median(values):>10.1f}{_pct(values, 0.99):>12.1f}{max(values):>12.1f}")
    on_p99 = _pct(results[f"hedging on ({hedge_ms:g} ms)"], 0.99)
    goal = hedge_ms + _pct(results["secondary alone"], 0.99)
    print(f"goal: p99 with hedging {on_p99:.1f} ms <= hedge delay + secondary p99 = {goal:.1f} ms:"
          f" {'met' if on_p99 <= goal else 'MISSED'}   (wall {wall:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--stall", type=float, default=10.0)
    parser.add_argument("--hedge-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=48)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.stall, args.hedge_ms, args.concurrency))
