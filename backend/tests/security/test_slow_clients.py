"""Slow and large requests against the REAL server (`python -m app.cli serve`) over real
sockets (issue 13, items 7-8): header and body deadlines, authentication before the body.

The deadlines are set to 1 s here (default 10 s) so the suite stays quick; each check
allows generous slack for a loaded machine, but far less than the 20-25 s that dripping
clients held connections for before.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.db import init_db, session_scope
from app.models import JobCreate
from app.repositories import JobRepository
from app.security import create_api_key
from tests.support.serving import wait_until_serving

BACKEND = Path(__file__).resolve().parents[2]
DEADLINE = 1.0
#: Upper bound for "cut off at the deadline" on a loaded, shared machine.
CUT_WITHIN = DEADLINE + 3.0


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    key: str

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('slow') / 'slow.db'}"
    init_db(url)
    with session_scope(url) as session:
        key = create_api_key(session, "slow-test", "editor").key
        # A non-empty catalogue: `serve` skips loading the demo data (slow on a busy machine).
        JobRepository(session).create(JobCreate(title="Seeded", company="Acme"))
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AI_", "OPENAI_", "ANTHROPIC_"))},
        "DATABASE_URL": url, "AUTH_MODE": "api-keys",
        "REQUEST_HEADER_TIMEOUT_SECONDS": str(DEADLINE), "REQUEST_BODY_TIMEOUT_SECONDS": str(DEADLINE),
        "AI_LEDGER_ENABLED": "false",
    }
    log = (tmp_path_factory.getbasetemp() / "slow-server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=BACKEND, env=env, stdout=log, stderr=log,
    )
    running = Server("127.0.0.1", port, key)
    try:
        wait_until_serving(process, running.base, 120)  # imports alone take 30 s+ on a loaded machine
        yield running
    finally:
        process.terminate()
        process.wait(timeout=15)


def _drip(server: Server, head: bytes, drip: bytes, every: float = 0.2) -> tuple[float, bytes]:
    """Send `head`, then `drip` one byte at a time; (seconds until the server closed, reply)."""
    started = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=CUT_WITHIN + 5) as sock:
        sock.sendall(head)
        sock.settimeout(every)
        reply = b""
        for byte in drip:
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # reset: the server is gone
                break
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            reply += chunk
            if time.monotonic() - started > CUT_WITHIN + 5:
                break
        sock.settimeout(2)
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except OSError:
            pass
    return time.monotonic() - started, reply


def test_dripped_header_lines_are_cut_at_the_header_deadline(server: Server) -> None:
    head = f"GET /health HTTP/1.1\r\nHost: {server.host}\r\n".encode()
    seconds, reply = _drip(server, head, b"X-Slow: " + b"a" * 200)
    assert seconds < CUT_WITHIN, seconds
    assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
    assert b"REQUEST_HEADER_TIMEOUT_SECONDS" in reply


def test_a_silent_connection_is_closed_at_the_header_deadline(server: Server) -> None:
    started = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=CUT_WITHIN + 5) as sock:
        reply = sock.recv(65536)
    assert time.monotonic() - started < CUT_WITHIN
    assert reply.startswith(b"HTTP/1.1 408")


def test_five_authenticated_clients_dripping_bodies_are_all_cut_at_the_body_deadline(
    server: Server,
) -> None:
    head = (
        f"POST /api/v1/jobs HTTP/1.1\r\nHost: {server.host}\r\nAuthorization: Bearer {server.key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    ).encode()
    results: list[tuple[float, bytes]] = []

    def one() -> None:
        results.append(_drip(server, head, b'{"title": "' + b"x" * 400))

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=CUT_WITHIN + 15)
    assert len(results) == 5
    for seconds, reply in results:
        assert seconds < CUT_WITHIN, seconds
        assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
        assert b"REQUEST_BODY_TIMEOUT_SECONDS" in reply


def _read_until_closed(sock: socket.socket) -> bytes:
    """The whole reply: headers and body can arrive in separate segments, and the
    server closes the connection after an early 401 (``connection: close``)."""
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def test_an_unauthenticated_large_body_gets_401_before_it_is_read(server: Server) -> None:
    # 40 MB declared, a few bytes sent: the answer comes at once, without the body.
    head = (
        f"POST /api/v1/jobs HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: application/json\r\n"
        "Content-Length: 40000000\r\n\r\n{\"title\": \""
    ).encode()
    started = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(head)
        reply = _read_until_closed(sock)
    assert time.monotonic() - started < DEADLINE, "the server waited for the body"
    assert reply.startswith(b"HTTP/1.1 401"), reply[:80]
    assert b"missing_api_key" in reply


def test_the_default_body_cap_is_1_mb_and_imports_have_their_own(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.key}"}
    job = {"title": "Engineer", "company": "Acme", "description": "d" * 40_000}
    with httpx.Client(base_url=server.base, headers=auth, timeout=30) as client:
        too_big = client.post("/api/v1/jobs", json={**job, "description": "d" * 1_100_000})
        assert too_big.status_code == 413
        assert too_big.json()["detail"]["limit_name"] == "MAX_REQUEST_BYTES"
        assert too_big.json()["detail"]["limit"] == 1_000_000
        imported = client.post("/api/v1/jobs/import", json=[job] * 40)  # about 1.6 MB
        assert imported.status_code == 201, imported.text[:300]
        assert imported.json()["created"] == 40
