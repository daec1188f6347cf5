"""The official OpenAI SDK alone against the fake upstream: the floor of an SDK-based gateway.

`bench_gateway` runs this beside the gateways. It makes the same upstream calls Tandem's
same-wire path makes (`app/ai/gateway/same_wire.py`: the SDK's low-level `post` with an
absolute URL, `cast_to=object`, the SDK's aiohttp transport, on uvloop), with no server
in front of them. Whatever a gateway built on the SDK does on top (parse the caller's
request, authenticate, route, record, write the answer) comes on top of these figures,
so they bound from below what such a gateway can reach: its CPU per 1,000 requests is
at least this, its added latency at least this p50.

Three ways of reading the answer, each at concurrency 1 (latency) and 64 (throughput, and
this process's own user + system CPU per 1,000 requests):

* `plain`: a non-streamed answer, decoded JSON;
* `stream`: a stream through the SDK's `AsyncStream` (its SSE decoder and one
  `json.loads` per event), as Tandem reads it;
* `raw_stream`: the same request in the SDK's raw-response mode (the header
  `with_streaming_response` sets), reading the body's bytes undecoded: what a byte
  pass-through that still made its calls through the SDK would pay.

    python -m benchmarks.sdk_floor --port <upstream port> [--requests 2000] [--sequential 500]

prints one JSON object of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any

import openai
import uvloop

from benchmarks.bench_gateway import percentile

BODY: dict[str, Any] = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello."}]}
STREAM_BODY: dict[str, Any] = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
#: The header the SDK's `with_streaming_response` sets: `post` hands back the raw response.
RAW: dict[str, Any] = {"headers": {"X-Stainless-Raw-Response": "stream"}}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _readers(client: openai.AsyncOpenAI, url: str) -> dict[str, Callable[[], Awaitable[None]]]:
    async def plain() -> None:
        await client.post(url, body=BODY, cast_to=object)

    async def stream() -> None:
        events = await client.post(
            url, body=STREAM_BODY, cast_to=object, stream=True, stream_cls=openai.AsyncStream[object]
        )
        async for _ in events:
            pass

    async def raw_stream() -> None:
        response = await client.post(
            url, body=STREAM_BODY, cast_to=object, stream=True,
            stream_cls=openai.AsyncStream[object], options=RAW,  # type: ignore[call-overload]
        )
        http = response.http_response
        try:
            async for _ in http.aiter_bytes():
                pass
        finally:
            await http.aclose()

    return {"plain": plain, "stream": stream, "raw_stream": raw_stream}


async def _run(
    call: Callable[[], Awaitable[None]], concurrency: int, total: int
) -> tuple[list[float], float, float]:
    """Latencies, wall seconds and CPU seconds of `total` calls, `concurrency` at a time."""
    remaining, latencies = [total], []

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    cpu, wall = _cpu(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - wall, _cpu() - cpu


async def measure(port: int, sequential: int, total: int) -> dict[str, float]:
    client = openai.AsyncOpenAI(
        api_key="sk-bench", base_url=f"http://127.0.0.1:{port}/v1",
        http_client=openai.DefaultAioHttpClient(), max_retries=0,
    )
    figures: dict[str, float] = {}
    try:
        for name, call in _readers(client, f"http://127.0.0.1:{port}/v1/chat/completions").items():
            await _run(call, 8, 100)  # warm-up: connections, imports
            latencies, _, _ = await _run(call, 1, sequential)
            figures[f"{name}_p50_ms"] = percentile(latencies, 0.5) * 1000
            figures[f"{name}_p99_ms"] = percentile(latencies, 0.99) * 1000
            _, wall, cpu = await _run(call, 64, total)
            figures[f"{name}_rps"] = total / wall
            figures[f"{name}_cpu_per_1000"] = cpu * 1000 / total
    finally:
        await client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sequential", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(uvloop.run(measure(args.port, args.sequential, args.requests))))


if __name__ == "__main__":
    main()
