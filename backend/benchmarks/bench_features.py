"""Recommendation and matching over 10,000 jobs / 10,000 candidates against the emulators.

    cd backend && .venv/bin/python -m benchmarks.bench_features [--rows 10000] [--calls 100]
        [--clients 50] [--requests 1000] [--max-seconds 120]

Emulators run in their own processes (`spawn_emulator_process`). Two measurements:
1. in-process, sequential: for each call, the time spent OUTSIDE the provider call =
   wall time of `chain.arun` minus the hybrid's own call latency (`latency_ms` of the
   answer's metadata): DB lookups, shortlist, prompt and schema building, runnable
   set-up, parsing. Goal: p50 <= 20 ms. Two id patterns side by side: every call a new
   id (the per-shortlist schema/runnable caches miss) and every id asked twice in a row
   (the second call hits them).
2. the real server (`python -m app.cli serve --local-dev`, one uvicorn worker) under
   `--clients` concurrent clients alternating recommendation and matching requests:
   the cold first request of each (index builds), then throughput and latency, then how
   long the server takes to stop on SIGTERM (killed after 20 s, and reported so).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from app.ai.chains.candidate_matching_chain import CandidateMatchingChain
from app.ai.chains.ranking import Ranking
from app.ai.chains.recommendation_chain import RecommendationChain
from app.core.config import Settings, load_settings
from app.db import session_scope, upgrade
from app.demo import ImportFile, generate_candidates, generate_jobs, import_data
from emulators import spawn_emulator_process

BACKEND = Path(__file__).resolve().parents[1]
STOP_GRACE_SECONDS = 20.0


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _figures(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):6.2f}  p99 {_pct(samples, 0.99):6.2f}  (n={len(samples)})"


async def _outside_ms(run: Callable[[int], Awaitable[Ranking[Any]]], entity_id: int) -> float:
    started = time.perf_counter()
    ranking = await run(entity_id)
    total = (time.perf_counter() - started) * 1000
    if ranking.served.degraded:
        raise SystemExit(f"benchmark call was degraded: {ranking.served.reason}")
    return total - float(ranking.served.latency_ms or 0.0)


async def _overhead(url: str, settings: Settings, calls: int, rows: int) -> None:
    chains: tuple[tuple[str, Any], ...] = (
        ("RecommendationChain", RecommendationChain), ("CandidateMatchingChain", CandidateMatchingChain)
    )
    for name, chain_type in chains:
        with session_scope(url) as session:
            chain = chain_type(session, settings)

            async def run(entity_id: int, chain: Any = chain) -> Ranking[Any]:
                result: Ranking[Any] = await chain.arun(entity_id, 5)
                return result

            await run(1)  # warm: index build, SDK clients
            fresh: list[float] = []
            repeated: list[float] = []
            for i in range(calls):
                entity_id = 2 + (i * 97) % (rows - 1)
                fresh.append(await _outside_ms(run, entity_id))
                repeated.append(await _outside_ms(run, entity_id))
        print(f"{name:23s} outside-provider ms, new id each call: {_figures(fresh)}")
        print(f"{name:23s} outside-provider ms, same id again:    {_figures(repeated)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _path(i: int, rows: int) -> str:
    if i % 2:
        return f"/api/v1/candidates/{1 + i * 37 % rows}/recommendations"
    return f"/api/v1/jobs/{1 + i * 53 % rows}/matches"


async def _load(base: str, clients: int, requests: int, rows: int, max_seconds: float) -> None:
    latencies: list[float] = []
    failures: dict[str, int] = {}
    counter = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        deadline = started + max_seconds

        async def client() -> None:
            while (i := next(counter)) < requests and time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await http.post(_path(i, rows))
                    outcome = str(response.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                if outcome == "200":
                    latencies.append((time.perf_counter() - sent) * 1000)
                else:
                    failures[outcome] = failures.get(outcome, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    done = len(latencies)
    print(f"server, {clients} clients: {done / elapsed:7.1f} req/s over {elapsed:.1f} s; "
          f"latency ms {_figures(latencies) if latencies else 'n/a'}; failures {failures or 'none'}")


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server not ready after {timeout:.0f} s")


def _cold_requests(base: str, rows: int) -> None:
    """The first request of each kind builds its 10,000-row index: time it, once."""
    for label, path in (("matching", f"/api/v1/jobs/{rows // 2}/matches"),
                        ("recommendation", f"/api/v1/candidates/{rows // 2}/recommendations")):
        started = time.perf_counter()
        response = httpx.post(f"{base}{path}", timeout=120)
        response.raise_for_status()
        print(f"server, first {label} request (index build): {time.perf_counter() - started:.2f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait, SIGKILL after a grace period; say how it went."""
    if process.poll() is not None:
        return
    started = time.perf_counter()
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
        took = time.perf_counter() - started
        print(f"server stopped {took:.2f} s after SIGTERM (exit {process.returncode})")
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        print(f"server did NOT stop within {STOP_GRACE_SECONDS:.0f} s of SIGTERM: killed")


def _serve(url: str, env: dict[str, str], args: argparse.Namespace, log: Path) -> None:
    port = _free_port()
    server_env = {**os.environ, **env, "DATABASE_URL": url, "AI_LEDGER_ENABLED": "false",
                  "LOG_LEVEL": "WARNING", "AI_RATE_LIMIT_PER_MINUTE": "0"}
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--local-dev", "--port", str(port)],
            cwd=BACKEND, env=server_env, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(base, process, timeout=60)
            _cold_requests(base, args.rows)
            asyncio.run(_load(base, args.clients, args.requests, args.rows, args.max_seconds))
        finally:
            _stop(process)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100, help="in-process calls per chain and id pattern")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1_000, help="server requests in total")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="cap on the load phase")
    parser.add_argument("--skip-server", action="store_true")
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
        settings = load_settings(_env_file=None, DATABASE_URL=url, AI_LEDGER_ENABLED=False, **env)  # type: ignore[arg-type]
        asyncio.run(_overhead(url, settings, args.calls, args.rows))
        if not args.skip_server:
            log = Path(tmp) / "server.log"
            try:
                _serve(url, env, args, log)
            except BaseException:
                print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
                raise


if __name__ == "__main__":
    main()
