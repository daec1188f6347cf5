"""A fast fake OpenAI / Anthropic upstream for `bench_gateway`: fixed answers, no framework.

`POST /v1/messages` answers in Anthropic's Messages shape (JSON, or the SSE event
sequence), any other `POST` in OpenAI's Chat Completions shape; keep-alive throughout.

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
    return b"data: " + json.dumps(body).encode()


_EVENTS = [
    _chunk({"role": "assistant", "content": ""}),
    *(_chunk({"content": word}) for word in ("Hello", " from", " the", " fake", " upstream.")),
    _chunk({}, "stop"),
    _chunk({}, usage={"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}),
    b"data: [DONE]",
]


def _json(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
        len(body), body)


def _sse(events: list[bytes]) -> bytes:
    """Chunked, as the real APIs stream (one HTTP chunk per event)."""
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\n\n\r\n" % (len(e) + 2, e) for e in events)
        + b"0\r\n\r\n"
    )


_JSON_RESPONSE = _json(_COMPLETION)
_STREAM_RESPONSE = _sse(_EVENTS)
_MESSAGE = json.dumps(
    {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-sonnet-20241022",
        "content": [{"type": "text", "text": "Hello from the fake upstream."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 9, "output_tokens": 6},
    }
).encode()


def _event(name: str, data: dict[str, object]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + json.dumps(data).encode()


_MESSAGE_EVENTS = [
    _event("message_start", {"type": "message_start", "message": {
        "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20241022",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 9, "output_tokens": 1}}}),
    _event("content_block_start", {"type": "content_block_start", "index": 0,
                                   "content_block": {"type": "text", "text": ""}}),
    *(_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "text_delta", "text": word}})
      for word in ("Hello", " from", " the", " fake", " upstream.")),
    _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
    _event("message_delta", {"type": "message_delta", "usage": {"output_tokens": 6},
                             "delta": {"stop_reason": "end_turn", "stop_sequence": None}}),
    _event("message_stop", {"type": "message_stop"}),
]


_MESSAGE_RESPONSE = _json(_MESSAGE)
_MESSAGE_STREAM_RESPONSE = _sse(_MESSAGE_EVENTS)
_MODELS = json.dumps(
    {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": 0, "owned_by": "bench"}]}
).encode()
_MODELS_RESPONSE = _json(_MODELS)


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
            streamed = b'"stream":true' in body.replace(b" ", b"")
            if head.startswith(b"get"):
                self.transport.write(_MODELS_RESPONSE)
            elif head.startswith(b"post /v1/messages"):
                self.transport.write(_MESSAGE_STREAM_RESPONSE if streamed else _MESSAGE_RESPONSE)
            else:
                self.transport.write(_STREAM_RESPONSE if streamed else _JSON_RESPONSE)


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
