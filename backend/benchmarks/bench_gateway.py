"""Gateway speed: Tandem's `/v1/chat/completions` vs LiteLLM's proxy vs Portkey's gateway.

Plus Tandem's `/v1/messages` served by Anthropic (the same fake upstream answering
Anthropic's wire), for the Anthropic-wire path's own figures; the other gateways are
measured on the OpenAI wire only.

Every side runs as one process (one worker) in front of the same fast fake upstream
(`benchmarks.fake_upstream`), driven by the same light load client
(`benchmarks.load_client`), in one run, so the figures compare as ratios:

* added latency: p50 / p99 of sequential requests (concurrency 1) minus the upstream's own;
* throughput at 64 concurrent requests, non-streamed and streamed (to the last byte);
* CPU-seconds the gateway process spent per 1,000 requests (from /proc, user + system).

Each run also measures the official OpenAI SDK alone against the same upstream
(`benchmarks.sdk_floor`): what Tandem's upstream calls cost before any gateway work, the
lower bound of any gateway that makes its provider calls through the SDK.

Sides that are not installed are reported as such, not skipped silently:
    LiteLLM:  cd backend && UV_PROJECT_ENVIRONMENT=.venv-bench .venv/bin/uv sync --frozen --no-dev \
                  --group bench-litellm
    Portkey:  cd backend/benchmarks/portkey && npm ci
              (`package.json` holds `@hono/node-server` at 1.13.8: with the newer release its
              npm range takes, every Portkey stream answers 500 "TypeError: immutable" --
              Portkey-AI/gateway#1389 -- and a failed stream would be measured as a fast one)

    cd backend && .venv/bin/python -m benchmarks.bench_gateway [--runs 5] [--requests 2000]

Tandem runs with API keys on (a virtual key with no limits), the usage ledger on, and
access logs off (as for the other sides); figures go in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load_client import Target, run_load

BACKEND = Path(__file__).resolve().parents[1]
PORTKEY = (
    BACKEND
    / "benchmarks"
    / "portkey"
    / "node_modules"
    / "@portkey-ai"
    / "gateway"
    / "build"
    / "start-server.js"
)
LITELLM = BACKEND / ".venv-bench" / "bin" / "litellm"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: LiteLLM's proxy refuses to start without a (strong) master key: its side's auth.
LITELLM_KEY = "sk-" + "5e" * 32
BODY = json.dumps({"model": "default", "messages": [{"role": "user", "content": "Say hello."}]}).encode()
STREAM_BODY = json.dumps(
    {"model": "default", "messages": [{"role": "user", "content": "Say hello."}], "stream": True}
).encode()
MESSAGES_BODY = json.dumps(
    {"model": "default", "max_tokens": 64, "messages": [{"role": "user", "content": "Say hello."}]}
).encode()
MESSAGES_STREAM_BODY = json.dumps(
    {"model": "default", "max_tokens": 64, "messages": [{"role": "user", "content": "Say hello."}],
     "stream": True}
).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its reaped children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / CLOCK_TICKS


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {port} after {timeout}s")


def _until_ok(port: int, headers: dict[str, str], timeout: float = 240) -> None:
    """POST one request until it answers 200; RuntimeError with the last body otherwise."""
    import urllib.error
    import urllib.request

    deadline, last = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            data=BODY,
            headers={"content-type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            last = error.read().decode(errors="replace")[:300]
        except OSError as error:
            last = str(error)
        time.sleep(1)
    raise RuntimeError(f"no 200 from port {port} within {timeout}s: {last}")


@dataclass
class Side:
    name: str
    target: Target
    process: subprocess.Popen[bytes] | None = None
    results: list[dict[str, float]] = field(default_factory=list)
    body: bytes = BODY
    stream_body: bytes = STREAM_BODY


def start_upstream() -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_upstream", "--port", "0"], cwd=BACKEND, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    return process, int(line.rsplit(":", 1)[1])


def start_tandem(upstream: int, workdir: Path, wire: str = "openai") -> Side:
    """Tandem in front of the upstream; `wire="anthropic"`: Anthropic as the provider,
    measured on `/v1/messages`."""
    from app.db import init_db, session_scope
    from app.security.store import create_api_key

    url = f"sqlite:///{workdir / f'tandem-{wire}.db'}"
    init_db(url)
    with session_scope(url) as session:
        key = create_api_key(session, "bench", "user", rate_limit_per_minute=0, max_concurrent=0).key
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AI_", "OPENAI_", "ANTHROPIC_"))}
    env.update(
        {
            "DATABASE_URL": url,
            "AUTH_MODE": "api-keys",
            "OPENAI_API_KEY": "sk-bench",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{upstream}/v1",
            "ANTHROPIC_API_KEY": "sk-ant-bench",
            "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{upstream}",
            "AI_PROVIDER": wire,
            "AI_FALLBACK_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(BACKEND),
        }
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=BACKEND,
        env=env,
    )
    wait_ready(port, process)
    if wire == "anthropic":
        return Side(
            "Tandem (`/v1/messages` → Anthropic)",
            Target("127.0.0.1", port, "/v1/messages", {"x-api-key": key}),
            process,
            body=MESSAGES_BODY,
            stream_body=MESSAGES_STREAM_BODY,
        )
    return Side(
        "Tandem",
        Target("127.0.0.1", port, "/v1/chat/completions", {"authorization": f"Bearer {key}"}),
        process,
    )


def start_litellm(upstream: int, workdir: Path) -> Side | None:
    if not LITELLM.exists():
        return None
    config = workdir / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: default\n    litellm_params:\n      model: openai/gpt-4o\n"
        f"      api_base: http://127.0.0.1:{upstream}/v1\n      api_key: sk-bench\n"
        "litellm_settings:\n  drop_params: true\n"
        f"general_settings:\n  master_key: {LITELLM_KEY}\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [str(LITELLM), "--config", str(config), "--port", str(port), "--num_workers", "1"],
        cwd=workdir,
        # Its bundled price map, not a download: benchmark traffic stays on 127.0.0.1.
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, process)
    # Listening is not ready: its router loads the model list after the port opens.
    _until_ok(port, {"authorization": f"Bearer {LITELLM_KEY}"})
    return Side(
        "LiteLLM proxy",
        Target("127.0.0.1", port, "/v1/chat/completions", {"authorization": f"Bearer {LITELLM_KEY}"}),
        process,
    )


def start_portkey(upstream: int, workdir: Path) -> Side | None:
    node = shutil.which("node")
    if node is None or not PORTKEY.exists():
        return None
    port = free_port()
    process = subprocess.Popen(
        [node, str(PORTKEY), f"--port={port}", "--headless"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, process)
    headers = {
        "authorization": "Bearer sk-bench",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": f"http://127.0.0.1:{upstream}/v1",
    }
    return Side("Portkey gateway", Target("127.0.0.1", port, "/v1/chat/completions", headers), process)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(side: Side, sequential: int, total: int) -> dict[str, float]:
    """One run of every measurement on one side."""
    asyncio.run(run_load(side.target, side.body, 8, 100))  # warm-up: connections, imports, JIT
    latencies, _, errors = asyncio.run(run_load(side.target, side.body, 1, sequential))
    figures = {"p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}
    for label, body in (("", side.body), ("stream_", side.stream_body)):
        cpu_before = cpu_seconds(side.process.pid) if side.process else 0.0
        _, wall, failed = asyncio.run(run_load(side.target, body, 64, total))
        cpu = (cpu_seconds(side.process.pid) - cpu_before) if side.process else 0.0
        figures[f"{label}rps"] = total / wall
        figures[f"{label}cpu_per_1000"] = cpu * 1000 / total
        errors += failed
    figures["errors"] = float(len(errors))
    if errors:
        figures["first_error_status"] = float(errors[0])
    return figures


def median(side: Side, key: str) -> float:
    return statistics.median(r[key] for r in side.results)


def measure_sdk_floor(upstream: int, sequential: int, total: int) -> dict[str, float]:
    """One run of `benchmarks.sdk_floor` (the official SDK alone), in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.sdk_floor", "--port", str(upstream),
         "--sequential", str(sequential), "--requests", str(total)],
        cwd=BACKEND, capture_output=True, check=True, timeout=600,
    )
    return dict(json.loads(done.stdout))


def floor_report(upstream: Side, floors: list[dict[str, float]], portkey: Side | None) -> str:
    """The SDK-alone table: what any gateway calling its provider through the SDK pays."""
    def mid(key: str) -> float:
        return statistics.median(f[key] for f in floors)

    lines = [
        "",
        "The official OpenAI SDK alone, no server (`benchmarks.sdk_floor`): the floor of a "
        "gateway that calls its provider through it",
        "",
        "| read as | added p50 ms | added p99 ms | req/s c=64 | CPU-s/1000 |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("plain", "non-streamed"), ("stream", "stream, SDK-decoded"),
                        ("raw_stream", "stream, raw bytes")):
        lines.append(
            f"| {label} | {mid(f'{name}_p50_ms') - median(upstream, 'p50_ms'):+.2f} | "
            f"{mid(f'{name}_p99_ms') - median(upstream, 'p99_ms'):+.2f} | {mid(f'{name}_rps'):.0f} | "
            f"{mid(f'{name}_cpu_per_1000'):.2f} |"
        )
    if portkey is not None:
        def left(gateway_key: str, floor_key: str) -> float:  # paired run by run: the VM's speed drifts
            return statistics.median(
                run[gateway_key] - floor[floor_key]
                for run, floor in zip(portkey.results, floors, strict=True)
            )

        lines += [
            "",
            "CPU-s per 1,000 left for everything else, to cost no more than Portkey (median of the "
            f"runs' differences): non-streamed {left('cpu_per_1000', 'plain_cpu_per_1000'):.2f}, "
            f"streamed {left('stream_cpu_per_1000', 'stream_cpu_per_1000'):.2f} "
            f"(raw bytes {left('stream_cpu_per_1000', 'raw_stream_cpu_per_1000'):.2f})",
        ]
    return "\n".join(lines)


def report(sides: list[Side], missing: list[str], runs: int) -> str:
    base = sides[0]
    lines = [
        f"median of {runs} run(s); added latency = side minus the upstream alone",
        "",
        "| side | added p50 ms | added p99 ms | req/s c=64 | req/s c=64 stream | CPU-s/1000 | "
        "CPU-s/1000 stream | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def added(side: Side, key: str) -> str:
        if side is base:
            return f"({median(side, key):.2f} abs)"
        return f"{median(side, key) - median(base, key):+.2f}"

    for side in sides:
        lines.append(
            f"| {side.name} | {added(side, 'p50_ms')} | {added(side, 'p99_ms')} | "
            f"{median(side, 'rps'):.0f} | "
            f"{median(side, 'stream_rps'):.0f} | {median(side, 'cpu_per_1000'):.2f} | "
            f"{median(side, 'stream_cpu_per_1000'):.2f} | {median(side, 'errors'):.0f} |"
        )
    for name in missing:
        lines.append(f"| {name} | | | | | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrent measurement")
    parser.add_argument("--sequential", type=int, default=500, help="requests at concurrency 1")
    args = parser.parse_args()
    upstream, upstream_port = start_upstream()
    sides: list[Side] = [
        Side("upstream alone", Target("127.0.0.1", upstream_port, "/v1/chat/completions", {}), upstream)
    ]
    missing: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        try:
            sides.append(start_tandem(upstream_port, workdir))
            sides.append(start_tandem(upstream_port, workdir, "anthropic"))
            for name, start in (("LiteLLM proxy", start_litellm), ("Portkey gateway", start_portkey)):
                try:
                    side = start(upstream_port, workdir)
                except RuntimeError as error:  # did not start: say so in the table
                    missing.append(f"{name} ({error})")
                    continue
                if side is None:
                    missing.append(f"{name} (not installed, see the module docstring)")
                else:
                    sides.append(side)
            floors: list[dict[str, float]] = []
            for run in range(args.runs):
                for side in sides:  # interleaved, so load from other users hits every side alike
                    side.results.append(measure(side, args.sequential, args.requests))
                    print(f"run {run + 1} {side.name}: {side.results[-1]}", flush=True)
                floors.append(measure_sdk_floor(upstream_port, args.sequential, args.requests))
                print(f"run {run + 1} the SDK alone: {floors[-1]}", flush=True)
            print(report(sides, missing, args.runs))
            portkey = next((s for s in sides if s.name == "Portkey gateway"), None)
            print(floor_report(sides[0], floors, portkey))
        finally:
            for side in sides:
                if side.process is not None:
                    side.process.terminate()
                    try:
                        side.process.wait(15)
                    except subprocess.TimeoutExpired:
                        side.process.kill()


if __name__ == "__main__":
    main()
