"""Per-request cost of the API security layer: no auth vs API-key auth vs auth + AI limits.

Run from backend/:  .venv/bin/python -m benchmarks.bench_auth [--requests 2000]

Side by side in one run, interleaved (order rotated) so machine load hits every side
alike, through the ASGI app in-process (no network, so the layer's own cost is what
differs):
1. `GET /api/v1/jobs?limit=1` with AUTH_MODE=local-dev vs api-keys (SHA-256 + one
   indexed SQLite lookup per request): the difference of medians is authentication;
2. the limiter's work for one AI call (rate check + lease + release) over the
   in-process store and over Redis (loopback), measured alone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

import httpx

from app.core.config import load_settings
from app.db import init_db, session_scope
from app.main import create_app
from app.security import create_api_key
from app.security.limit_store import MemoryLimitStore, RedisLimitStore
from app.security.rate_limit import ClientLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(title: str, results: dict[str, list[float]], base: str) -> None:
    print(f"\n{title}")
    base_median = statistics.median(results[base])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:<24} median {median * 1e3:8.3f} ms   p95 {_pct(values, 0.95) * 1e3:8.3f} ms   "
              f"x{median / base_median:5.2f}   +{(median - base_median) * 1e3:6.3f} ms")


async def _http_side(requests: int) -> dict[str, list[float]]:
    directory = tempfile.mkdtemp()
    url = f"sqlite:///{directory}/bench.db"
    init_db(url)
    with session_scope(url) as session:
        key = create_api_key(session, "bench", "user").key
    clients: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = {}
    for name, mode, headers in (("local-dev (no auth)", "local-dev", {}),
                                ("api-keys (Bearer)", "api-keys", {"Authorization": f"Bearer {key}"})):
        app = create_app(load_settings(_env_file=None, DATABASE_URL=url, AUTH_MODE=mode,
                                       AI_LEDGER_ENABLED=False, LOG_LEVEL="WARNING"))
        transport = httpx.ASGITransport(app=app)
        clients[name] = (httpx.AsyncClient(transport=transport, base_url="http://bench"), headers)
    results: dict[str, list[float]] = {name: [] for name in clients}
    names = list(clients)
    for index in range(requests + 50):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            client, headers = clients[name]
            started = time.perf_counter()
            response = await client.get("/api/v1/jobs", params={"limit": 1}, headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if index >= 50:
                results[name].append(elapsed)
    for client, _ in clients.values():
        await client.aclose()
    return results


def _limiter_side(calls: int) -> dict[str, list[float]]:
    limiters: dict[str, ClientLimiter] = {
        "in-process store": ClientLimiter(MemoryLimitStore(), 10**9, 10**6, 60.0),
        "Redis store": ClientLimiter(RedisLimitStore(REDIS_URL, f"bench:{uuid.uuid4().hex}:"),
                                     10**9, 10**6, 60.0),
    }
    checks: dict[str, Callable[[], None]] = {}
    for name, limiter in limiters.items():
        def check(limiter: ClientLimiter = limiter) -> None:
            assert limiter.check_rate("client") is None
            lease = limiter.acquire("client")
            assert lease is not None
            limiter.release(lease)

        checks[name] = check
    results: dict[str, list[float]] = {name: [] for name in checks}
    names = list(checks)
    for index in range(calls + 50):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            checks[name]()
            if index >= 50:
                results[name].append(time.perf_counter() - started)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    os.environ.pop("AUTH_MODE", None)
    _report("GET /api/v1/jobs?limit=1 through the ASGI app", asyncio.run(_http_side(args.requests)),
            "local-dev (no auth)")
    _report("AI call limits alone (rate check + lease + release)", _limiter_side(args.requests),
            "in-process store")


if __name__ == "__main__":
    main()
