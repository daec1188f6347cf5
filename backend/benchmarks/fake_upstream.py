"""A fast fake OpenAI upstream for `bench_gateway`: fixed answers, no framework, keep-alive.

Why not the emulators: they compose answers, inject faults and record requests, which is
right for tests but makes them the bottleneck of a gateway benchmark. This server only
parses enough HTTP/1.1 to frame requests and answers pre-built bytes, so whatever is
measured in front of it is the gateway.

    python -m benchmarks.fake_upstream --port 0     # prints "UPSTREAM http://127.0.0.1:<port>"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the fake upstream."},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15},
    }
).encode()


def _chunk(delta: dict[str, object], finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "gpt-4o",
        "choices": [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    if usage:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


_EVENTS = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": word}) for word in ("Hello", " from", " the", " fake", " upstream.")),
        _chunk({}, "stop"),
        _chunk({}, usage={"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}),
        b"data: [DONE]\n\n",
    ]
)

_JSON_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(_COMPLETION)).encode()
    + b"\r\n\r\n"
    + _COMPLETION
)
_STREAM_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: "
    + str(len(_EVENTS)).encode()
    + b"\r\n\r\n"
    + _EVENTS
)
_MODELS = json.dumps(
    {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": 0, "owned_by": "bench"}]}
).encode()
_MODELS_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(_MODELS)).encode()
    + b"\r\n\r\n"
    + _MODELS
)


class _Upstream(asyncio.Protocol):
    """One keep-alive connection: frame requests by Content-Length, answer fixed bytes."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker)
                length = int(head[marker + 15 : line_end if line_end > 0 else len(head)])
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = self.buffer[end + 4 : total]
            self.buffer = self.buffer[total:]
            assert self.transport is not None
            if head.startswith(b"get"):
                self.transport.write(_MODELS_RESPONSE)
            elif b'"stream":true' in body.replace(b" ", b""):
                self.transport.write(_STREAM_RESPONSE)
            else:
                self.transport.write(_JSON_RESPONSE)


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Upstream, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"UPSTREAM http://127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
