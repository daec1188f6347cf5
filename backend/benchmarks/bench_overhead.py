"""Overhead of the hybrid model over a bare `ChatOpenAI`, and the cost of failing over.

Run from backend/:  .venv/bin/python -m benchmarks.bench_overhead [--calls 1500]

Both emulators run in their own processes, so the client under test does not share
the GIL with the server. Calls are interleaved (bare, hybrid, bare, hybrid, ...), so
drift in machine load hits both sides alike. Reported: median and p99 per side and
their ratio (goal: hybrid/bare <= 1.03), then the failover case: the primary answers
500 at once and the secondary serves, compared with the two bare calls it replaces
(goal: the two calls plus <= 1 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

from app.ai.providers.factory import get_llm_provider
from app.core.config import load_settings
from emulators import Fault, spawn_emulator_process

PROMPT = "Summarise this job in one line tokens=20"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _time(fn: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await fn()
    return (time.perf_counter() - started) * 1000.0


async def _interleave(sides: dict[str, Callable[[], Awaitable[Any]]], calls: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in sides}
    for fn in sides.values():  # warm-up: connections, caches
        for _ in range(20):
            await fn()
    for _ in range(calls):
        for name, fn in sides.items():
            results[name].append(await _time(fn))
    return results


def _report(title: str, results: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'side':<34}{'median ms':>12}{'p99 ms':>12}")
    for name, values in results.items():
        print(f"{name:<34}{statistics.median(values):>12.3f}{_pct(values, 0.99):>12.3f}")


async def run(calls: int) -> None:
    logging.getLogger("app.ai.providers").setLevel(logging.WARNING)
    with spawn_emulator_process("openai") as oai, spawn_emulator_process("anthropic") as ant:
        settings = load_settings(
            OPENAI_API_KEY="sk-bench", OPENAI_BASE_URL=oai.base_url,
            ANTHROPIC_API_KEY="sk-ant-bench", ANTHROPIC_BASE_URL=ant.base_url, _env_file=None,
        )
        hybrid = get_llm_provider(settings=settings)
        bare_openai = ChatOpenAI(
            model="gpt-4o", api_key="sk-bench", base_url=oai.base_url,  # type: ignore[arg-type]
            max_retries=0, temperature=0.3, timeout=60, stream_usage=True,
        )
        bare_anthropic = ChatAnthropic(  # type: ignore[call-arg]
            model="claude-3-5-sonnet-20241022", api_key="sk-ant-bench",  # type: ignore[arg-type]
            base_url=ant.base_url, max_retries=0, temperature=0.3, timeout=60,
        )

        healthy = await _interleave(
            {
                "bare ChatOpenAI.ainvoke": lambda: bare_openai.ainvoke(PROMPT),
                "get_llm_provider().ainvoke": lambda: hybrid.ainvoke(PROMPT),
            },
            calls,
        )
        _report(f"Healthy primary, {calls} interleaved calls per side", healthy)
        ratio_median = statistics.median(healthy["get_llm_provider().ainvoke"]) / statistics.median(
            healthy["bare ChatOpenAI.ainvoke"]
        )
        ratio_p99 = _pct(healthy["get_llm_provider().ainvoke"], 0.99) / _pct(
            healthy["bare ChatOpenAI.ainvoke"], 0.99
        )
        print(f"overhead ratio hybrid/bare: median {ratio_median:.3f}, p99 {ratio_p99:.3f} (goal <= 1.03)")

        oai.set_default_fault(Fault(status=500))

        async def bare_pair() -> None:
            with contextlib.suppress(Exception):  # the failing half of the pair is the point
                await bare_openai.ainvoke(PROMPT)
            await bare_anthropic.ainvoke(PROMPT)

        failing = await _interleave(
            {
                "bare: OpenAI 500 + Anthropic call": bare_pair,
                "hybrid: failover OpenAI->Anthropic": lambda: hybrid.ainvoke(PROMPT),
            },
            max(calls // 2, 50),
        )
        oai.set_default_fault(None)
        _report("Primary fails fast (500), secondary answers", failing)
        extra = statistics.median(failing["hybrid: failover OpenAI->Anthropic"]) - statistics.median(
            failing["bare: OpenAI 500 + Anthropic call"]
        )
        print(f"failover cost beyond the two calls: median {extra:+.3f} ms (goal <= 1 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1500)
    asyncio.run(run(parser.parse_args().calls))


if __name__ == "__main__":
    main()
