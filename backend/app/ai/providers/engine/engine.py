"""The call engine: plan -> attempt -> classify -> record -> next, for every kind of call.

One async engine runs `agenerate` and `astream`; hedging is a property of the plan
(`CallState.hedge_delay`): with no hedge delay the attempt runs inline, with one the
attempt is raced against the next provider (`hedging.py`). The sync driver
(`generate`, `stream`) is the same loop without an event loop -- threads cannot be
cancelled, so it never hedges -- and runs every attempt in the same `AttemptScope`,
so classification, recording, cancellation and the interrupted-stream rule live in
one place (`attempt.py`). Every attempt is bounded by its scope's time limit: the
smaller of `AI_REQUEST_TIMEOUT` and what is left of the call deadline.

The functions take the call and a `send`/`open_stream` callable (member, kwargs) and
know nothing of LangChain's callbacks: `HybridChatModel` passes its inner models'
private methods, a gateway can call them with `run_manager=None`, tests with fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine.attempt import AttemptScope
from app.ai.providers.engine.bounded_reads import BoundedReader, bounded_chunks
from app.ai.providers.engine.call import CallState
from app.ai.providers.engine.hedging import race_generate, race_stream
from app.ai.providers.engine.stream_guard import StreamGuard
from app.ai.providers.policies.endings import check_ending

Send = Callable[[Member, dict[str, Any]], ChatResult]
AsyncSend = Callable[[Member, dict[str, Any]], Awaitable[ChatResult]]
OpenStream = Callable[[Member, dict[str, Any]], Iterator[ChatGenerationChunk]]
AsyncOpenStream = Callable[[Member, dict[str, Any]], AsyncIterator[ChatGenerationChunk]]


async def _steps(call: CallState) -> AsyncIterator[tuple[Member, float | None]]:
    """The plan's attempts, each after its pause, with its hedge delay (None: no hedge)."""
    while (step := call.next_attempt()) is not None:
        member, pause = step
        if pause > 0:
            await asyncio.sleep(pause)
        yield member, call.hedge_delay(member)


async def agenerate(call: CallState, send: AsyncSend) -> ChatResult:
    """One non-streaming call; the answer carries the `hybrid` metadata."""
    async for member, delay in _steps(call):
        if delay is not None:
            won = await race_generate(call, member, delay, checked(send))
            if won is not None:
                return finish(call, *won)
            continue
        with call.attempt(member) as scope:
            async with asyncio.timeout(scope.timeout):
                result = await send(member, call.call_kwargs(member, scope))
            return finish(call, scope, result)
    raise call.exhausted()


def checked(send: AsyncSend) -> AsyncSend:
    """`send` whose content-filtered answers fail the attempt (inside its scope)."""

    async def run(member: Member, kwargs: dict[str, Any]) -> ChatResult:
        result = await send(member, kwargs)
        ending_of(member, result)
        return result

    return run


async def astream(call: CallState, open_stream: AsyncOpenStream) -> AsyncIterator[ChatGenerationChunk]:
    """One streaming call; the last chunk carries the `hybrid` metadata."""
    async for member, delay in _steps(call):
        if delay is not None:
            served = False
            async for chunk in race_stream(call, member, delay, open_stream):
                served = True
                yield chunk
            if served:
                return
            continue
        scope = call.attempt(member, StreamGuard(member))
        guard = scope.guard
        assert guard is not None
        with scope:
            inner = open_stream(member, call.call_kwargs(member, scope))
            try:
                async for chunk in bounded_chunks(inner, call, scope):
                    for out in guard.admit(chunk):
                        yield out
                for out in guard.finish():
                    yield out
            finally:
                await aclose(inner)
        if scope.failed:
            continue
        yield guard.closing_chunk(call.succeeded(
            scope, guard.usage, streamed=True, ttft_ms=guard.ttft_ms, finish_reason=guard.finish_reason
        ))
        return
    raise call.exhausted()


def generate(call: CallState, send: Send) -> ChatResult:
    """The sync driver of `agenerate` (plain sequential failover)."""
    while (step := call.next_attempt()) is not None:
        member, pause = step
        if pause > 0:
            time.sleep(pause)
        with call.attempt(member) as scope:
            return finish(call, scope, send(member, call.call_kwargs(member, scope)))
    raise call.exhausted()


def stream(call: CallState, open_stream: OpenStream) -> Iterator[ChatGenerationChunk]:
    """The sync driver of `astream`: each wait for a chunk is bounded the same way
    (`call.chunk_wait`: first-token, then idle, within the time limit), by reading the
    provider's stream in a helper thread (`bounded_reads.py`)."""
    while (step := call.next_attempt()) is not None:
        member, pause = step
        if pause > 0:
            time.sleep(pause)
        scope = call.attempt(member, StreamGuard(member))
        guard = scope.guard
        assert guard is not None
        with scope:
            inner = open_stream(member, call.call_kwargs(member, scope))
            reader = BoundedReader(inner, call, scope)
            with reader:
                for chunk in reader:
                    yield from guard.admit(chunk)
                yield from guard.finish()
        if scope.failed:
            continue
        yield guard.closing_chunk(call.succeeded(
            scope, guard.usage, streamed=True, ttft_ms=guard.ttft_ms, finish_reason=guard.finish_reason
        ))
        return
    raise call.exhausted()


def finish(call: CallState, scope: AttemptScope, result: ChatResult) -> ChatResult:
    """Record the winner and put the `hybrid` metadata on the answer (inside the
    attempt's scope: a content-filtered answer fails the attempt instead)."""
    meta = call.succeeded(scope, usage_of(result), finish_reason=ending_of(scope.member, result))
    for generation in result.generations:
        generation.message.response_metadata["hybrid"] = meta
    result.llm_output = {**(result.llm_output or {}), "hybrid": meta}
    return result


def ending_of(member: Member, result: ChatResult) -> str | None:
    """The answer's ending; raises `ContentFilteredError` when a filter stopped it."""
    generation = result.generations[0] if result.generations else None
    if generation is None:
        return None
    # ChatAnthropic keeps `stop_reason` in `llm_output`, which LangChain merges into the
    # message's metadata only after `_generate` returns -- after this check.
    info = {**(result.llm_output or {}), **(generation.generation_info or {})}
    return check_ending(member, generation.message, info)


def usage_of(result: ChatResult) -> UsageMetadata | None:
    message = result.generations[0].message if result.generations else None
    return getattr(message, "usage_metadata", None)


def close(iterator: Any) -> None:
    """Close an inner stream so its HTTP connection goes back to the pool at once."""
    closer: Callable[[], Any] | None = getattr(iterator, "close", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            closer()


async def aclose(iterator: Any) -> None:
    closer: Callable[[], Any] | None = getattr(iterator, "aclose", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            await closer()
