"""Waiting for a server process the tests started (`python -m app.cli serve`)."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_serving(process: subprocess.Popen[bytes], base: str, seconds: float) -> None:
    """Return once `base`/health answers; fail if the process exits or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "server exited at start-up"
        assert time.monotonic() < deadline, f"server did not start within {seconds:g} s"
        time.sleep(0.2)
