"""Streams: LangChain chunks read once, in neutral terms, and written in a wire's events.

`delta_of` reads what every integration's chunks share (`.text`, `tool_call_chunks`,
`usage_metadata`, the finish/stop reason, the hybrid's closing metadata), so a wire's
encoder never needs to know which provider is streaming. `open_stream` waits for the
first content before anything is sent: until then the hybrid can still fail over, and a
call that fails before its first token gets a real HTTP error status. After that, a
failure ends the stream with the wire's own error event -- never a clean end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.messages import AIMessageChunk

from app.ai.gateway.calls import PreparedCall
from app.ai.gateway.failures import Failure, from_provider_error
from app.ai.providers.errors import HybridProviderError

logger = logging.getLogger("app.ai.gateway")

#: Finish reasons in OpenAI's vocabulary (the neutral one) from every provider's own.
_FINISH: dict[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "function_call": "tool_calls",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
    "model_context_window_exceeded": "length",
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "BLOCKLIST": "content_filter",
    "SPII": "content_filter",
}


def neutral_finish(metadata: dict[str, Any]) -> str | None:
    """The answer's finish reason (stop | length | tool_calls | content_filter), if it says."""
    raw = metadata.get("finish_reason") or metadata.get("stop_reason")
    if not raw:
        return None
    return _FINISH.get(str(raw), "stop")


@dataclass(slots=True)
class ToolDelta:
    index: int
    """The provider's index of the tool call (Anthropic: the content block index)."""
    id: str | None
    name: str | None
    arguments: str


@dataclass(slots=True)
class Delta:
    """What one chunk adds to the answer."""

    text: str = ""
    tools: list[ToolDelta] = field(default_factory=list)
    finish: str | None = None
    usage: dict[str, Any] | None = None
    hybrid: dict[str, Any] | None = None

    @property
    def has_content(self) -> bool:
        return bool(self.text or self.tools)


def delta_of(chunk: AIMessageChunk) -> Delta:
    meta = chunk.response_metadata
    tools = [
        ToolDelta(int(c.get("index") or 0), c.get("id"), c.get("name"), c.get("args") or "")
        for c in chunk.tool_call_chunks
    ]
    usage = chunk.usage_metadata
    return Delta(
        text=chunk.text,
        tools=tools,
        finish=neutral_finish(meta) if meta else None,
        usage=dict(usage) if usage else None,
        hybrid=meta.get("hybrid") if meta else None,
    )


class StreamEncoder(Protocol):
    """A wire's stream events."""

    def start(self) -> bytes: ...

    def delta(self, delta: Delta) -> bytes: ...

    def end(self, finish: str, usage: dict[str, Any]) -> bytes: ...

    def error(self, failure: Failure) -> bytes: ...


@dataclass(slots=True)
class OpenedStream:
    """A stream whose first content is in hand: headers known, body not sent yet."""

    served_model: str
    provider: str
    attempts: int
    body: AsyncIterator[bytes]


async def open_stream(
    call: PreparedCall,
    make_encoder: Callable[[str], StreamEncoder],
    on_done: Callable[[dict[str, Any] | None], None],
) -> OpenedStream:
    """Read `call`'s stream up to its first content; HybridProviderError if it fails first.

    `make_encoder(served_model)` builds the wire's encoder; `on_done(hybrid_meta)` runs
    once the stream ends (meta is None when it failed), for budgets.
    """
    chunks = call.stream()
    held: list[Delta] = []
    first: AIMessageChunk | None = None
    try:
        async for chunk in chunks:
            delta = delta_of(chunk)
            held.append(delta)
            if delta.has_content:
                first = chunk
                break
    except BaseException:
        await _aclose(chunks)
        raise
    finished = first is None
    meta = next((d.hybrid for d in held if d.hybrid), None)
    member = call.serving_member(first) if first is not None else None
    provider = (meta or {}).get("provider") or (member.name if member else "")
    served = (meta or {}).get("model") or (member.model_name if member else call.request.model)
    encoder = make_encoder(served)
    attempts = len(call.attempts) + (0 if finished else 1)
    return OpenedStream(served, provider, attempts, _body(chunks, held, finished, encoder, on_done))


async def _body(
    chunks: AsyncIterator[AIMessageChunk],
    held: list[Delta],
    finished: bool,
    encoder: StreamEncoder,
    on_done: Callable[[dict[str, Any] | None], None],
) -> AsyncIterator[bytes]:
    finish: str | None = None
    usage: dict[str, Any] = {}
    meta: dict[str, Any] | None = None

    def absorb(delta: Delta) -> bytes:
        nonlocal finish, meta
        finish = delta.finish or finish
        meta = delta.hybrid or meta
        if delta.usage:
            for key in ("input_tokens", "output_tokens", "total_tokens"):
                usage[key] = usage.get(key, 0) + int(delta.usage.get(key) or 0)
        return encoder.delta(delta) if delta.has_content else b""

    try:
        yield encoder.start()
        for delta in held:
            if out := absorb(delta):
                yield out
        if not finished:
            async for chunk in chunks:
                if out := absorb(delta_of(chunk)):
                    yield out
    except HybridProviderError as error:
        failure = from_provider_error(error)
        logger.warning("gateway stream ended by an error after it started: %s", failure.message)
        on_done(None)
        yield encoder.error(failure)
        return
    finally:
        await _aclose(chunks)
    on_done(meta)
    yield encoder.end(finish or "stop", usage)


async def _aclose(chunks: AsyncIterator[AIMessageChunk]) -> None:
    """Close the hybrid's stream so the provider connection goes back to the pool."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


async def coalesced(parts: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`parts`, with the ones that are ready at the same moment joined into one write.

    Why: a provider often delivers several events in one network read (and always does
    under load); written one by one, each costs a socket write and a pass through every
    ASGI middleware -- most of a streamed gateway call's CPU after the provider call
    itself (docs/BENCHMARKS.md, "Gateway"). A pump task reads `parts` while the response
    writes: whatever it produced since the last write goes out together. Nothing waits
    for company -- a part that comes alone is written at once -- so time to first token
    and the pace of a slow stream are unchanged.
    """
    queue: deque[bytes] = deque()
    ready = asyncio.Event()
    ended: list[BaseException | None] = []

    async def pump() -> None:
        try:
            async for part in parts:
                queue.append(part)
                ready.set()
        except Exception as error:  # handed to the writer, which raises it in its task
            ended.append(error)
        else:
            ended.append(None)
        ready.set()

    task = asyncio.create_task(pump())
    try:
        while True:
            await ready.wait()
            ready.clear()
            if queue:
                joined = b"".join(queue)
                queue.clear()
                yield joined
            if ended and not queue:
                break
        if ended[0] is not None:
            raise ended[0]
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
