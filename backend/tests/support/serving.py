"""Real servers for tests whose client is a browser or another process: in a thread, or a process's."""

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


def wait_until_healthy(base_url: str, process: subprocess.Popen[str], timeout: float) -> None:
    """Poll `GET /health` of a server `process` started until it answers 200 (or fail clearly)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1) as http:
        while True:
            try:
                if http.get(f"{base_url}/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "server exited at start-up"
            assert time.monotonic() < deadline, f"server did not start within {timeout:.0f} s"
            time.sleep(0.2)
