"""A light HTTP/1.1 load client for `bench_gateway`: keep-alive connections, fixed requests.

Why not httpx/aiohttp: at a few thousand requests per second on a shared 2-core machine a
full client library costs more CPU than the gateway being measured. This one writes
pre-built request bytes and reads responses by `content-length` or chunked framing --
all a benchmark needs -- and times each request to the last byte of its body.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    headers: dict[str, str]

    def request(self, body: bytes) -> bytes:
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"host: {self.host}:{self.port}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            *(f"{k}: {v}" for k, v in self.headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    marker = lowered.find(b"content-length:")
    if marker >= 0:
        end = lowered.find(b"\r\n", marker)
        await reader.readexactly(int(lowered[marker + 15 : end]))
        return status
    if b"transfer-encoding: chunked" in lowered:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return status
    raise RuntimeError("response without content-length or chunked framing")


async def _worker(
    target: Target, payload: bytes, remaining: list[int], latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(target.host, target.port)
    try:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            writer.write(payload)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def run_load(
    target: Target, body: bytes, concurrency: int, total: int
) -> tuple[list[float], float, list[int]]:
    """(per-request seconds, wall seconds, non-200 statuses) for `total` requests."""
    payload = target.request(body)
    remaining = [total]
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_worker(target, payload, remaining, latencies, errors) for _ in range(concurrency))
    )
    return latencies, time.perf_counter() - started, errors
