"""Cost of the context-window gate: estimating a prompt before every call.

Run from backend/:  .venv/bin/python -m benchmarks.bench_context_window [--rounds 200]

The gate runs once per provider per call, before any network I/O, so its cost adds
directly to every call's latency. Side by side, interleaved, on the same prompts:
`estimate_tokens` alone, and the full `skip_reason` of a three-provider chain (what
one call pays). The prompts run from a short chat turn to a 200k-character document
with tools bound. Reported: median microseconds per prompt size, and the ratio of
the gate to one local emulator round trip measured in the same run (a real provider's
round trip is ~100x longer).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.openai import ADAPTER
from app.ai.providers.policies.context_window import ContextWindowGate, estimate_tokens
from app.ai.providers.policies.routing import CallContext
from emulators import spawn_emulator_process

TOOLS = [
    {"type": "function", "function": {"name": f"tool_{i}", "parameters": {"type": "object"}}}
    for i in range(5)
]


def _median_us(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def _prompt(chars: int) -> list[BaseMessage]:
    return [SystemMessage("You rank candidates for a job."), HumanMessage("word " * (chars // 5))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with spawn_emulator_process("openai") as emulator:
        chat = ChatOpenAI(model="gpt-4o", api_key="sk-bench", base_url=emulator.base_url, max_retries=0)  # type: ignore[arg-type]
        members = [
            Member("small", chat, ADAPTER, {"tools": TOOLS}),
            Member("mid", chat, ADAPTER, {"tools": TOOLS}),
            Member("large", chat, ADAPTER, {"tools": TOOLS}),
        ]
        gate = ContextWindowGate({"small": 8_192, "mid": 128_000, "large": 1_048_576})
        round_trip = _median_us(lambda: chat.invoke("hello"), max(20, rounds // 5))
        print(f"emulator round trip (bare ChatOpenAI.invoke): median {round_trip:.0f} us")
        print(f"{'prompt chars':>12} {'estimate us':>12} {'3-member gate us':>17} {'gate / round trip':>18}")
        for chars in (200, 4_000, 40_000, 200_000):
            messages = _prompt(chars)
            context = CallContext(messages)
            estimate = _median_us(lambda m=messages: estimate_tokens(m, TOOLS), rounds)  # type: ignore[misc]
            full = _median_us(
                lambda c=context: [gate.skip_reason(m, c) for m in members],  # type: ignore[misc]
                rounds,
            )
            print(f"{chars:>12} {estimate:>12.1f} {full:>17.1f} {full / round_trip:>17.2%}")


if __name__ == "__main__":
    main()
