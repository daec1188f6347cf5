"""Recommendation and matching over 10,000 jobs / 10,000 candidates against the emulators.

    cd backend && .venv/bin/python -m benchmarks.bench_features [--rows 10000] [--calls 100]
        [--clients 50] [--requests 500]

Emulators run in their own processes (`spawn_emulator_process`). Two measurements:
1. in-process, sequential: for each call, the time spent OUTSIDE the provider call =
   wall time of `chain.arun` minus the hybrid's own call latency (`latency_ms` of the
   answer's metadata): DB lookups, shortlist, prompt and schema building, parsing.
   Goal: p50 <= 20 ms.
2. the real server (`python -m app.cli serve`, one uvicorn worker) under 50 concurrent
   clients alternating recommendation and matching requests: throughput and latency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from app.ai.chains.candidate_matching_chain import CandidateMatchingChain
from app.ai.chains.recommendation_chain import RecommendationChain
from app.core.config import load_settings
from app.db import session_scope, upgrade
from app.demo import ImportFile, generate_candidates, generate_jobs, import_data
from app.emulators import spawn_emulator_process

BACKEND = Path(__file__).resolve().parents[1]


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _overhead(url: str, env: dict[str, str], calls: int, rows: int) -> None:
    settings = load_settings(_env_file=None, DATABASE_URL=url, AI_LEDGER_ENABLED=False, **env)  # type: ignore[arg-type]
    for name, chain_type in (("recommendation", RecommendationChain), ("matching", CandidateMatchingChain)):
        outside: list[float] = []
        with session_scope(url) as session:
            chain = chain_type(session, settings)
            await chain.arun(1, 5)  # warm: index build, clients
            for i in range(calls):
                started = time.perf_counter()
                ranking = await chain.arun(1 + (i * 97) % rows, 5)
                total = (time.perf_counter() - started) * 1000
                outside.append(total - float(ranking.served.latency_ms or 0.0))
        print(f"{name:15s} outside-provider ms: p50 {statistics.median(outside):6.2f}  "
              f"p99 {_pct(outside, 0.99):6.2f}  (n={calls})")


async def _load(base: str, clients: int, requests: int, rows: int) -> None:
    latencies: list[float] = []
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        async def worker() -> None:
            for i in counter:
                path = (f"/api/v1/candidates/{1 + i * 37 % rows}/recommendations" if i % 2
                        else f"/api/v1/jobs/{1 + i * 53 % rows}/matches")
                started = time.perf_counter()
                response = await http.post(path)
                assert response.status_code == 200, response.text
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    print(f"server, {clients} clients: {requests / elapsed:7.1f} req/s; latency ms p50 "
          f"{statistics.median(latencies):.1f} p99 {_pct(latencies, 0.99):.1f} (n={requests})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, spawn_emulator_process("openai") as openai, \
            spawn_emulator_process("anthropic") as anthropic:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        with session_scope(url) as session:
            data = ImportFile(jobs=generate_jobs(args.rows), candidates=generate_candidates(args.rows))
            import_data(session, data)
        env = {
            "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": openai.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": anthropic.base_url,
        }
        asyncio.run(_overhead(url, env, args.calls, args.rows))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server_env = {**os.environ, **env, "DATABASE_URL": url, "AUTH_MODE": "local-dev",
                      "AI_LEDGER_ENABLED": "false", "LOG_LEVEL": "WARNING", "AI_RATE_LIMIT_PER_MINUTE": "0"}
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                                   cwd=BACKEND, env=server_env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.post(f"{base}/api/v1/jobs/1/matches", timeout=30)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            httpx.post(f"{base}/api/v1/candidates/1/recommendations", timeout=30)  # warm both indexes
            asyncio.run(_load(base, args.clients, args.requests, args.rows))
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
