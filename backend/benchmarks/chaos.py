"""Chaos suite: thousands of calls through the REAL API server against faulty emulators.

    cd backend && .venv/bin/python -m benchmarks.chaos              # full run (~thousands of calls)
    cd backend && .venv/bin/python -m benchmarks.chaos --calls 300  # smaller

Everything is a real process: both provider emulators run in their own processes with
seeded random fault mixes, the API runs under uvicorn (`app.main:create_app` factory,
2 workers sharing circuit state through Redis when Redis is reachable), and this
script calls `POST /api/v1/ai/complete` (JSON and SSE) over HTTP. Each answer is
checked for completeness: the emulator answers "tokens=N" with exactly N words, so a
silently truncated answer cannot pass. Scenarios and targets (docs/RESILIENCE.md):

* mixed: primary failing 30% of calls, secondary 5% -> >= 99.9% success;
* primary down / secondary down -> 100% success;
* mid-stream: faults after content -> 100% complete answers: each cut stream is
  continued on the secondary (prefill), checked word for word;
* recovery: when a full primary outage ends, traffic returns to the primary within
  the half-open interval (`AI_CIRCUIT_COOLDOWN_SECONDS`);
* short outage, default circuit settings (2 s cooldown, doubling): after a 3-second
  primary outage the primary serves again within 3 s of its recovery, no call fails;
* everywhere: 0 silent truncations, 0 calls over `AI_REQUEST_DEADLINE`.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from emulators import EmulatorProcess, Fault, spawn_emulator_process
from emulators.content import filler_words

BACKEND = Path(__file__).resolve().parents[1]
DEADLINE = 4.0
TIMEOUT = 1.5
COOLDOWN = 1.0
HEDGE_MS = 300
#: Client-side slack over the deadline for HTTP and event-loop overhead.
DEADLINE_SLACK = 0.5

#: Primary: 30% of requests fail. Stream faults strike before content (failover is
#: clean); faults after content are the separate `mid-stream` scenario.
PRIMARY_MIX: list[tuple[float, Fault]] = [
    (0.07, Fault(status=429, retry_after=0.2)),
    (0.06, Fault(status=500)),
    (0.04, Fault(status=503)),
    (0.03, Fault(status=529)),
    (0.03, Fault(delay=3.0)),  # over AI_REQUEST_TIMEOUT: a timeout (or a hedge)
    (0.03, Fault(reset=True)),
    (0.02, Fault(stream_error_after=0)),
    (0.02, Fault(cut_after=0)),
]
SECONDARY_MIX: list[tuple[float, Fault]] = [
    (0.02, Fault(status=500)),
    (0.01, Fault(status=529)),
    (0.01, Fault(reset=True)),
    (0.01, Fault(cut_after=0)),
]
MID_STREAM_MIX: list[tuple[float, Fault]] = [
    (0.05, Fault(stream_error_after=3)),
    (0.05, Fault(cut_after=3)),
    (0.02, Fault(stall_after=3)),  # silent after content: cut by AI_STREAM_IDLE_TIMEOUT
    (0.02, Fault(malformed_after=3)),  # an undecodable event
]
#: Seconds of silence after content that count as a cut stream in the chaos server.
IDLE_TIMEOUT = 1.0


@dataclass
class Result:
    ok: bool
    kind: str  # "ok", "typed_error", "http_<status>", "silent_truncation", "transport"
    provider: str | None
    elapsed: float
    stream: bool


@dataclass
class Report:
    name: str
    results: list[Result] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        total = len(self.results)
        ok = sum(r.ok for r in self.results)
        elapsed = sorted(r.elapsed for r in self.results) or [0.0]
        return {
            "scenario": self.name,
            "calls": total,
            "success_rate": round(ok / total, 5) if total else 0.0,
            "outcomes": dict(Counter(r.kind for r in self.results)),
            "providers": dict(Counter(r.provider or "-" for r in self.results)),
            "silent_truncations": sum(r.kind == "silent_truncation" for r in self.results),
            "over_deadline": sum(r.elapsed > DEADLINE + DEADLINE_SLACK for r in self.results),
            "p50_s": round(elapsed[len(elapsed) // 2], 3),
            "p99_s": round(elapsed[min(len(elapsed) - 1, int(len(elapsed) * 0.99))], 3),
            "max_s": round(elapsed[-1], 3),
            **self.extra,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_reachable(url: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0])), 0.5):
            return True
    except (OSError, ValueError):
        return False


@contextmanager
def api_server(env: dict[str, str], workers: int) -> Iterator[str]:
    """uvicorn with the app factory in a subprocess; yields its base URL."""
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
    ]
    with tempfile.TemporaryDirectory() as workdir:  # no stray .env, no db file in the repo
        process = subprocess.Popen(command, cwd=workdir, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 300  # importing the stack takes long on a loaded machine
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"API server exited with {process.returncode}")
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("API server did not start within 300 s")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def one_call(client: httpx.AsyncClient, words: int, stream: bool) -> Result:
    """One API call, checked for completeness against the emulator's deterministic answer."""
    payload = {"messages": [{"role": "user", "content": payload_text(words)}], "stream": stream}
    started = time.monotonic()
    try:
        response = await client.post("/api/v1/ai/complete", json=payload)
    except httpx.HTTPError:
        return Result(False, "transport", None, time.monotonic() - started, stream)
    elapsed = time.monotonic() - started
    if response.status_code != 200:
        return Result(False, f"http_{response.status_code}", None, elapsed, stream)
    if stream:
        events = _sse(response.text)
        if events and events[-1][0] == "error":
            return Result(False, "typed_error", None, elapsed, stream)
        shown: list[str] = []
        for name, data in events:
            if name == "restart":  # drop what was shown (docs/API.md)
                shown.clear()
            elif name == "token":
                shown.append(data.get("text", ""))
        tokens = "".join(shown)
        done = events[-1][1] if events and events[-1][0] == "done" else None
        content = tokens if done is not None and done.get("content") == tokens else None
        provider = done.get("provider") if done else None
    else:
        body = response.json()
        content, provider = body.get("content"), body.get("provider")
    complete = content is not None and _body(content) == filler_words(words, seed=payload_text(words))
    return Result(complete, "ok" if complete else "silent_truncation", provider, elapsed, stream)


def payload_text(words: int) -> str:
    return f"chaos tokens={words}"


def _body(content: str) -> str | None:
    """The answer after its `[provider:model]` tag: exactly the emulator's N words when
    complete -- a doubled, missing or reordered word fails the comparison."""
    _, sep, rest = content.partition("] ")
    return rest if sep else None


def _sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields.get("data", "{}"))))
    return events


async def run_calls(base: str, calls: int, concurrency: int, rng: random.Random) -> list[Result]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE * 3, limits=limits) as client:
        gate = asyncio.Semaphore(concurrency)
        plan = [(rng.randint(3, 40), rng.random() < 0.5) for _ in range(calls)]

        async def guarded(words: int, stream: bool) -> Result:
            async with gate:
                return await one_call(client, words, stream)

        return await asyncio.gather(*(guarded(w, s) for w, s in plan))


async def recovery(
    base: str, primary: EmulatorProcess, secondary: EmulatorProcess, cycles: int = 5
) -> dict[str, Any]:
    """Full primary outages, then recovery: seconds until the primary serves again, per cycle."""
    primary.clear_faults()
    secondary.clear_faults()
    backs: list[float | None] = []
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE * 3) as client:
        for cycle in range(cycles):
            primary.set_default_fault(Fault(status=503))
            # Until the circuit opens (the primary is no longer attempted): the 30 s window
            # still holds the previous scenario's successes, so this takes a while.
            for _ in range(1000):
                if await _primary_skipped(client):
                    break
            else:
                backs.append(None)  # the circuit never opened: a missed target
                continue
            for _ in range(5 * cycle):  # vary where the cooldown stands when the outage ends
                await one_call(client, 5, False)
            primary.clear_faults()
            ended = time.monotonic()
            back: float | None = None
            while back is None and time.monotonic() - ended < COOLDOWN * 5:
                if (await one_call(client, 5, False)).provider == "openai":
                    back = round(time.monotonic() - ended, 3)
                await asyncio.sleep(0.02)
            backs.append(back)
    worst = None if None in backs else max(b for b in backs if b is not None)
    return {
        "returned_after_s": backs,
        "worst_s": worst,
        "within_half_open_interval": worst is not None and worst <= COOLDOWN + 0.5,
    }


async def _primary_skipped(client: httpx.AsyncClient) -> bool:
    payload = {"messages": [{"role": "user", "content": "tokens=3"}]}
    response = await client.post("/api/v1/ai/complete", json=payload)
    attempts = response.json().get("attempts", []) if response.status_code == 200 else []
    return bool(attempts) and all(a["provider"] != "openai" for a in attempts)


def run_chaos(
    calls: int = 2000, down_calls: int = 300, concurrency: int = 16, seed: int = 7
) -> list[dict[str, Any]]:
    """Run every scenario; returns one summary per scenario."""
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    shared = _redis_reachable(redis_url)
    rng = random.Random(seed)
    with spawn_emulator_process("openai") as primary, spawn_emulator_process("anthropic") as secondary:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AI_", "OPENAI_", "ANTHROPIC_"))}
        env.update(
            PYTHONPATH=str(BACKEND), OPENAI_API_KEY="sk-chaos", OPENAI_BASE_URL=primary.base_url,
            ANTHROPIC_API_KEY="sk-ant-chaos", ANTHROPIC_BASE_URL=secondary.base_url,
            AI_REQUEST_TIMEOUT=str(TIMEOUT), AI_REQUEST_DEADLINE=str(DEADLINE), AI_MAX_RETRIES="2",
            AI_BACKOFF_BASE="0.05", AI_BACKOFF_MAX="0.3",
            AI_CIRCUIT_ENABLED="true", AI_CIRCUIT_COOLDOWN_SECONDS=str(COOLDOWN),
            AI_CIRCUIT_MAX_COOLDOWN_SECONDS=str(COOLDOWN),
            AI_HEDGE_AFTER_MS=str(HEDGE_MS), AI_LEDGER_ENABLED="false", LOG_LEVEL="WARNING",
            AI_STREAM_IDLE_TIMEOUT=str(IDLE_TIMEOUT),
            AUTH_MODE="local-dev",  # the suite measures resilience, not authentication
            AI_STATE_KEY_PREFIX=f"chaos:{uuid.uuid4().hex}",
        )
        if shared:
            env["AI_STATE_REDIS_URL"] = redis_url
        workers = 2 if shared else 1
        reports: list[Report] = []
        with api_server(env, workers) as base:
            scenarios: list[tuple[str, list[tuple[float, Fault]] | Fault | None, Any, int]] = [
                ("mixed (primary 30%, secondary 5%)", PRIMARY_MIX, SECONDARY_MIX, calls),
                ("primary down", Fault(status=503), None, down_calls),
                ("secondary down", None, Fault(reset=True), down_calls),
                ("mid-stream faults (after content)", MID_STREAM_MIX, None, down_calls),
            ]
            for index, (name, first, second, count) in enumerate(scenarios):
                for emulator, spec in ((primary, first), (secondary, second)):
                    emulator.reset()
                    if isinstance(spec, list):
                        emulator.chaos(seed + index, spec)
                    elif spec is not None:
                        emulator.set_default_fault(spec)
                report = Report(name, asyncio.run(run_calls(base, count, concurrency, rng)))
                report.extra["workers"] = workers
                report.extra["shared_state"] = "redis" if shared else "memory"
                reports.append(report)
            back = Report("recovery after a full primary outage")
            back.extra.update(asyncio.run(recovery(base, primary, secondary)))
            reports.append(back)
        # Default circuit settings (2 s first cooldown, doubling) for the short outage.
        defaults = {k: v for k, v in env.items() if not k.startswith("AI_CIRCUIT_")}
        defaults["AI_CIRCUIT_ENABLED"] = "true"
        defaults["AI_STATE_KEY_PREFIX"] = f"chaos:{uuid.uuid4().hex}"
        with api_server(defaults, workers) as base:
            outage = Report("short outage (3 s), default circuit settings")
            outage.extra.update(asyncio.run(short_outage(base, primary, secondary)))
            reports.append(outage)
    return [r.summary() for r in reports]


SHORT_OUTAGE_S = 3.0
SHORT_OUTAGE_BACK_S = 3.0


async def short_outage(base: str, primary: EmulatorProcess, secondary: EmulatorProcess) -> dict[str, Any]:
    """Default circuit settings: a 3-second primary outage under steady traffic (4 clients).

    Every call must succeed (failover, or the secondary), and once the outage ends the
    primary must serve again within `SHORT_OUTAGE_BACK_S` seconds.
    """
    primary.clear_faults()
    secondary.clear_faults()
    results: list[Result] = []
    back: list[float] = []
    state: dict[str, Any] = {"phase": "before", "ended": 0.0}

    async def client_loop(client: httpx.AsyncClient, rng: random.Random) -> None:
        while state["phase"] != "done":
            result = await one_call(client, rng.randint(3, 20), rng.random() < 0.5)
            results.append(result)
            if state["phase"] == "after" and result.provider == "openai" and not back:
                back.append(round(time.monotonic() - float(state["ended"]), 3))
            await asyncio.sleep(0.05)

    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE * 3) as client:
        loops = [asyncio.ensure_future(client_loop(client, random.Random(i))) for i in range(4)]
        await asyncio.sleep(1.0)
        primary.set_default_fault(Fault(status=503))
        state["phase"] = "outage"
        await asyncio.sleep(SHORT_OUTAGE_S)
        primary.clear_faults()
        state["phase"], state["ended"] = "after", time.monotonic()
        limit = time.monotonic() + 15
        while not back and time.monotonic() < limit:
            await asyncio.sleep(0.05)
        state["phase"] = "done"
        await asyncio.gather(*loops)
    return {
        "calls": len(results),
        "failed_calls": sum(not r.ok for r in results),
        "back_after_s": back[0] if back else None,
        "outage_s": SHORT_OUTAGE_S,
    }


def check(summaries: list[dict[str, Any]]) -> list[str]:
    """The targets missed (empty when all are met)."""
    missed = []
    for s in summaries:
        if s["scenario"].startswith("recovery"):
            if not s["within_half_open_interval"]:
                missed.append(f"{s['scenario']}: primary not back within {COOLDOWN + 0.5}s")
            continue
        if s["silent_truncations"] or s["over_deadline"]:
            missed.append(f"{s['scenario']}: silent truncations or calls over the deadline")
        if s["scenario"].startswith("short outage"):
            if s["failed_calls"] or s["back_after_s"] is None or s["back_after_s"] > SHORT_OUTAGE_BACK_S:
                missed.append(
                    f"{s['scenario']}: {s['failed_calls']} failed calls, primary back after "
                    f"{s['back_after_s']}s (target 0 and <= {SHORT_OUTAGE_BACK_S}s)"
                )
            continue
        if s["scenario"].startswith("mid-stream") and s["success_rate"] < 1.0:
            missed.append(f"{s['scenario']}: success {s['success_rate']} < 1.0 ({s['outcomes']})")
        elif s["scenario"].startswith("mixed") and s["success_rate"] < 0.999:
            missed.append(f"{s['scenario']}: success {s['success_rate']} < 0.999")
        elif s["scenario"].endswith("down") and s["success_rate"] < 1.0:
            missed.append(f"{s['scenario']}: success {s['success_rate']} < 1.0")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls in the mixed scenario")
    parser.add_argument("--down-calls", type=int, default=500, help="calls in each other scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.monotonic()
    summaries = run_chaos(args.calls, args.down_calls, args.concurrency, args.seed)
    for summary in summaries:
        print(json.dumps(summary))
    missed = check(summaries)
    print(f"total {time.monotonic() - started:.1f}s;", missed or "all targets met")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
