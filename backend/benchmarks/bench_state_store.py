"""Latency the circuit breaker's state store adds to one call: none vs in-process vs Redis.

Run from backend/:  .venv/bin/python -m benchmarks.bench_state_store [--calls 1000]

Two measurements, side by side in one run, interleaved (order rotated) so machine load
hits every side alike:
1. full hybrid calls (`ainvoke`) against the OpenAI emulator in its own process, with
   health = plain statistics (no breaker), breaker over the in-process store, and
   breaker over Redis (loopback); the difference of medians is the per-call cost;
2. the store operations alone, as a call performs them (admit primary, admit
   secondary, record the attempt): median per call. Goal: Redis <= 0.5 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from app.ai.providers import build_runtime
from app.ai.providers.policies.circuit import CircuitBreaker
from app.ai.providers.records import Attempt
from app.core.config import load_settings
from emulators import spawn_emulator_process

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _interleave(sides: dict[str, Callable[[], Awaitable[Any]]], calls: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in sides}
    for fn in sides.values():
        for _ in range(20):
            await fn()
    names = list(sides)
    for index in range(calls):
        shift = index % len(names)  # rotate the order so no side always follows another
        for name in names[shift:] + names[:shift]:
            fn = sides[name]
            started = time.perf_counter()
            await fn()
            results[name].append((time.perf_counter() - started) * 1000.0)
    return results


def _report(title: str, results: dict[str, list[float]], base: str | None = None) -> None:
    print(f"\n{title}")
    print(f"{'side':<28}{'median ms':>12}{'p99 ms':>12}{'added median ms':>18}")
    reference = statistics.median(results[base]) if base else 0.0
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:<28}{median:>12.3f}{_pct(values, 0.99):>12.3f}{median - reference:>18.3f}")


async def main(calls: int) -> None:
    logging.getLogger("app.ai.providers").setLevel(logging.ERROR)
    with spawn_emulator_process("openai") as openai, spawn_emulator_process("anthropic") as anthropic:
        settings = load_settings(
            _env_file=None, OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=openai.base_url,
            ANTHROPIC_API_KEY="sk-ant-bench", ANTHROPIC_BASE_URL=anthropic.base_url,
            AI_CIRCUIT_ENABLED=True, AI_LEDGER_ENABLED=False,
        )
        redis_settings = settings.model_copy(
            update={"AI_STATE_REDIS_URL": REDIS_URL, "AI_STATE_KEY_PREFIX": f"bench:{uuid.uuid4().hex}"}
        )
        runtimes = {
            "no breaker": build_runtime(settings.model_copy(update={"AI_CIRCUIT_ENABLED": False})),
            "memory store": build_runtime(settings),
            "redis store": build_runtime(redis_settings),
        }
        models = {name: runtime.model() for name, runtime in runtimes.items()}
        breakers: dict[str, CircuitBreaker] = {
            name: runtime.breaker for name, runtime in runtimes.items() if runtime.breaker is not None
        }
        sides = {name: _caller(model) for name, model in models.items()}
        _report(f"full calls ({calls} each, interleaved)", await _interleave(sides, calls), "no breaker")
        ops = {name: _store_ops(breaker) for name, breaker in breakers.items()}
        _report(f"store operations per call ({calls * 5} each)", await _interleave(ops, calls * 5))
        print(f"\nRedis store backend in use: {breakers['redis store'].store.backend}")


def _caller(model: Any) -> Callable[[], Awaitable[Any]]:
    async def call() -> Any:
        return await model.ainvoke("benchmark tokens=5")

    return call


def _store_ops(breaker: CircuitBreaker) -> Callable[[], Awaitable[None]]:
    attempt = Attempt("openai", "gpt-4o", "ok", 1.0)

    async def ops() -> None:
        breaker.skip_reason("openai")
        breaker.skip_reason("anthropic")
        breaker.record(attempt)

    return ops


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    asyncio.run(main(parser.parse_args().calls))
