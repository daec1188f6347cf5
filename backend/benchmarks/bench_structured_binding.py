"""Cost of `with_structured_output` on the hybrid: every member bound up front vs. lazily.

Run from backend/:  .venv/bin/python -m benchmarks.bench_structured_binding [--rounds 300]

`HybridChatModel.with_structured_output` used to run each provider's own
`with_structured_output` for every member at once; now a member binds when a call
first reaches it (`Member.bind_pending`, issue 14). A call the primary serves therefore
binds the primary only. Side by side, interleaved, on a fresh schema each round (what
a first-time ranking shortlist pays, see docs/BENCHMARKS.md): "eager" binds every
member (the old behaviour, forced with `bind_pending`), "lazy" binds what a call the
primary serves binds. No network I/O: binding is local work before the request.
Reported: median and p99 microseconds per side, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

from pydantic import BaseModel, Field, create_model

from app.ai.providers.factory import get_llm_provider
from app.ai.providers.hybrid import HybridChatModel
from app.core.config import load_settings


def _schema(round_no: int) -> type[BaseModel]:
    """A ranking-like schema, new each round so no provider-side cache helps."""
    item = create_model(
        f"Item{round_no}",
        job_id=(int, Field(ge=1, description="Id of the job.")),
        score=(int, Field(ge=0, le=100, description="Fit from 0 to 100.")),
        reasons=(list[str], Field(description="Why it fits.")),
    )
    return create_model(f"Ranking{round_no}", items=(list[item], ...), summary=(str, ...))  # type: ignore[valid-type]


def _bind(model: HybridChatModel, schema: type[BaseModel], members: int) -> Any:
    runnable = model.with_structured_output(schema)
    hybrid = runnable.first.bound  # type: ignore[attr-defined]  # RunnableBinding(hybrid) | parser
    for member in hybrid.members[:members]:
        member.bind_pending()
    return runnable


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    settings = load_settings(
        OPENAI_API_KEY="sk-bench", ANTHROPIC_API_KEY="sk-ant-bench", _env_file=None
    )
    model = get_llm_provider(settings=settings)
    sides = {"eager (every member)": len(model.members), "lazy (primary only)": 1}
    samples: dict[str, list[float]] = {name: [] for name in sides}
    warnings.simplefilter("ignore")
    for round_no in range(rounds):
        for name, members in sides.items():
            schema = _schema(round_no * 2 + members)
            started = time.perf_counter()
            _bind(model, schema, members)
            samples[name].append((time.perf_counter() - started) * 1e6)
    print(f"with_structured_output + bindings a primary-served call needs, {rounds} rounds")
    print("| side | median µs | p99 µs |")
    print("|---|---|---|")
    for name, values in samples.items():
        median, p99 = _stats(values)
        print(f"| {name} | {median:.0f} | {p99:.0f} |")
    eager, lazy = (statistics.median(v) for v in samples.values())
    print(f"lazy / eager median: {lazy / eager:.2f}")


if __name__ == "__main__":
    main()
