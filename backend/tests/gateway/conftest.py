"""The REAL server process (`python -m app.cli serve`) with API keys on, in front of the
provider emulators, for the gateway's client tests (SDKs, LangChain, Node).

One server per test module (start-up costs seconds); the emulators are the session's,
reset before every test, so each test sets its own faults. Circuit breakers are off in
this server: the tests inject failures on purpose and each must see the same routing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.db import init_db, session_scope
from app.security.store import create_api_key
from emulators import RunningEmulator

#: Start-up of a server process takes up to minutes on the shared 2-core machine.
SERVER_TIMEOUT = 400

BACKEND = Path(__file__).resolve().parents[2]

ROUTES = {
    "cheap": ["anthropic:claude-3-5-haiku-20241022", "openai:gpt-4o-mini"],
    "claude-first": ["anthropic", "openai"],
}


@dataclass(frozen=True)
class Gateway:
    """A running server: its root URL, the API keys created for it, and its database."""

    url: str
    key: str
    limited_key: str
    budget_key: str
    database: Path

    @property
    def openai_base(self) -> str:
        return f"{self.url}/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _create_keys(url: str) -> tuple[str, str, str]:
    """Keys made the way `api-key create` makes them (same store functions, in-process:
    a CLI subprocess per key costs a minute on the shared machine)."""
    init_db(url)
    with session_scope(url) as session:
        key = create_api_key(session, "web-frontend", "user", rate_limit_per_minute=0, max_concurrent=0)
        limited = create_api_key(session, "notebook", "user", routes=["cheap"], rate_limit_per_minute=2)
        budget = create_api_key(
            session, "go-worker", "user", daily_budget_usd=0.0000001, rate_limit_per_minute=0
        )
    return key.key, limited.key, budget.key


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory,
    _openai_emulator_session: RunningEmulator,
    _anthropic_emulator_session: RunningEmulator,
) -> Iterator[Gateway]:
    database = tmp_path_factory.mktemp("gateway") / "gateway.db"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AI_", "OPENAI_", "ANTHROPIC_", "GEMINI_"))
        },
        "DATABASE_URL": f"sqlite:///{database}",
        "AUTH_MODE": "api-keys",
        "OPENAI_API_KEY": "sk-gateway-openai",
        "OPENAI_BASE_URL": _openai_emulator_session.base_url,
        "ANTHROPIC_API_KEY": "sk-ant-gateway-anthropic",
        "ANTHROPIC_BASE_URL": _anthropic_emulator_session.base_url,
        "AI_ROUTES": json.dumps(ROUTES),
        "AI_CIRCUIT_ENABLED": "false",
        "AI_BACKOFF_BASE": "0.01",
        "AI_BACKOFF_MAX": "0.02",
        "AI_REQUEST_TIMEOUT": "5",
        "AI_REQUEST_DEADLINE": "10",
        "AI_LEDGER_FLUSH_SECONDS": "0.2",
        "GATEWAY_KEY_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(BACKEND),
    }
    key, limited, budget = _create_keys(env["DATABASE_URL"])
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=BACKEND,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "server exited at start-up"
            assert time.monotonic() < deadline, "server did not start within 240 s"
            time.sleep(0.2)
        yield Gateway(url, key, limited, budget, database)
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def emulators(
    openai_emulator: RunningEmulator, anthropic_emulator: RunningEmulator
) -> tuple[RunningEmulator, RunningEmulator]:
    """(openai, anthropic) emulators, reset for this test."""
    return openai_emulator, anthropic_emulator
