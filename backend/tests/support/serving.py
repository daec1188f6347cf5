"""Real servers for tests: uvicorn in a thread (`serving`), or waiting for a server process
the test started with `python -m app.cli serve` (`wait_until_serving`)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


@contextmanager
def serving(app: FastAPI, start_timeout: float = 20.0) -> Iterator[str]:
    """Serve `app` on a free 127.0.0.1 port; yields its base URL, stops it on exit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
