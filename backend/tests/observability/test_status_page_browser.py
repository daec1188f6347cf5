"""The status page in headless Chromium: it loads the status JSON and draws what it says.

Skipped when Chromium is absent on a developer machine; under CI=true its absence is a
failure (scripts/start-services.sh installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from emulators import Fault, RunningEmulator

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("chromium is not installed; under CI=true this is a failure (see scripts/start-services.sh)")
    pytest.skip("chromium is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served_app(emulator_settings: Callable[..., Settings]) -> Iterator[tuple[str, FastAPI]]:
    settings = emulator_settings(AI_LEDGER_ENABLED=False, AI_REQUEST_TIMEOUT=0.5)
    port = _free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_status_page_renders_providers_strategy_and_charts(
    served_app: tuple[str, FastAPI], openai_emulator: RunningEmulator, tmp_path: Path
) -> None:
    chromium = _chromium()
    base_url, app = served_app
    model = app.state.ai_runtime.model()  # the runtime whose calls the page reports
    model.invoke("hello tokens=10")
    openai_emulator.faults.push(Fault(status=500, times=1))
    model.invoke("hello")  # a failover, for the failover chart
    completed = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=8000", "--dump-dom", f"{base_url}/status?poll=60000"],
        capture_output=True, text=True, timeout=90,
    )
    dom = completed.stdout
    assert 'data-loaded="true"' in dom, completed.stderr[-2000:]
    assert re.search(r'<strong id="strategy">priority</strong>', dom)
    rows = re.findall(r'<tr data-provider="(\w+)">(.*?)</tr>', dom)
    assert [name for name, _ in rows][:2] == ["openai", "anthropic"]
    openai_cells = re.findall(r"<td>(.*?)</td>", rows[0][1])
    assert openai_cells[:4] == ["openai", "primary", "gpt-4o", "yes"]
    latency_chart = dom[dom.index('id="chart-latency"'):dom.index('id="chart-failovers"')]
    assert 'data-provider="openai"' in latency_chart and 'data-provider="anthropic"' in latency_chart
    assert "<polyline" in dom[dom.index('id="chart-failovers"'):]
    assert 'aria-label="spend per provider"' in dom
    assert "Could not load status" not in dom
