"""A caller that leaves mid-stream ends the call at once: no provider tokens paid for
nobody, and the ledger says the call was cancelled, not served."""

from __future__ import annotations

import socket
import sqlite3
import time

import orjson

from emulators import Fault, RunningEmulator
from tests.gateway.conftest import Gateway

HELLO = [{"role": "user", "content": "Write a long paragraph about matching jobs to people."}]


def _ledger_rows(gateway: Gateway, marker: str) -> list[tuple[str, float]]:
    with sqlite3.connect(gateway.database) as db:
        return db.execute(
            "SELECT outcome, latency_ms FROM ai_usage WHERE request_id = ?", (marker,)
        ).fetchall()


def test_a_caller_leaving_mid_stream_cancels_the_call(
    gateway: Gateway, emulators: tuple[RunningEmulator, RunningEmulator]
) -> None:
    openai_emulator, _ = emulators
    openai_emulator.faults.set_default(Fault(token_delay=0.25))  # a stream of many seconds
    marker = f"leave-{time.monotonic_ns()}"
    body = orjson.dumps({"model": "default", "stream": True, "max_tokens": 200, "messages": HELLO})
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            + f"authorization: Bearer {gateway.key}\r\nx-request-id: {marker}\r\n".encode()
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        received = b""
        while b'"content":"' not in received.replace(b" ", b"") or b"HTTP/1.1 200" not in received:
            received += sock.recv(65536)
        left_at = time.monotonic()
    rows: list[tuple[str, float]] = []
    while time.monotonic() < left_at + 20 and not any(o == "cancelled" for o, _ in rows):
        rows = _ledger_rows(gateway, marker)
        time.sleep(0.1)
    outcomes = {outcome: latency_ms for outcome, latency_ms in rows}
    assert "ok" not in outcomes, rows
    assert "cancelled" in outcomes, rows
    # Ended when the caller left (well under the stream's own length of many seconds).
    assert outcomes["cancelled"] < 3000, rows
