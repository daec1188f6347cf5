"""`serve --workers N`: N uvicorn worker processes, and a warning when they share nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.cli import build_parser, load_command_modules, worker_warnings
from app.core.config import load_settings
from app.db import init_db, session_scope
from app.demo import load_demo_data

BACKEND = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spawned_workers(parent: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f"\nPPid:\t{parent}\n" in status and "spawn_main" in cmdline:
            count += 1
    return count


@pytest.mark.timeout(360)
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts worker processes through /proc")
def test_serve_with_two_workers_serves_and_warns_without_redis(tmp_path: Path) -> None:
    port = _free_port()
    database_url = f"sqlite:///{tmp_path / 'workers.db'}"
    init_db(database_url)  # seeded here, so the server's start-up is only its two workers' imports
    with session_scope(database_url) as session:
        load_demo_data(session)
    env = {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("AI_", "OPENAI_", "ANTHROPIC_", "RATE_LIMIT_"))},
        "DATABASE_URL": database_url, "AUTH_MODE": "local-dev",
    }
    log = (tmp_path / "serve.log").open("w")  # a file, not a pipe: nobody reads a pipe while it fills
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
    )
    http = httpx.Client(timeout=1)
    try:
        deadline = time.monotonic() + 300  # two interpreters importing the app on a loaded shared machine
        while True:
            try:
                if http.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "server exited at start-up"
            assert time.monotonic() < deadline, "server did not start within 300 s"
            time.sleep(0.2)
        while _spawned_workers(process.pid) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _spawned_workers(process.pid) == 2
    finally:
        http.close()
        process.terminate()
        process.wait(timeout=30)
        log.close()
    err = (tmp_path / "serve.log").read_text()
    assert "WARNING: 2 workers and no Redis configured" in err and "AI_STATE_REDIS_URL" in err


def test_worker_warnings(clean_env: None) -> None:
    alone = load_settings(_env_file=None)
    shared = load_settings(_env_file=None, AI_STATE_REDIS_URL="redis://127.0.0.1:6379/0")
    assert worker_warnings(1, False, alone) == []
    assert worker_warnings(4, False, shared) == []
    assert "per worker" in worker_warnings(4, False, alone)[0]
    assert "ignored" in worker_warnings(2, True, alone)[0]


def test_workers_must_be_a_positive_number(capsys: pytest.CaptureFixture[str]) -> None:
    load_command_modules()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--workers", "0"])
    assert "--workers: must be a whole number >= 1 (got '0')" in capsys.readouterr().err
