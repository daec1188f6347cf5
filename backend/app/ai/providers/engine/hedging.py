"""Hedged requests: when the first provider is slow to start answering, race the next.

Why: a stalled provider (no error, just no bytes) otherwise costs the caller the whole
attempt timeout before failover starts. With hedging (`policies/hedge.py` decides the
delay), if the first provider has not produced its first token after the hedge delay,
the next provider is started too; the first to produce content wins and the other is
cancelled (its task is cancelled, which closes its HTTP stream and gives the connection
back to the pool). Both attempts are recorded in the answer's `hybrid.attempts` (the
loser as `cancelled`, reason `hedge_lost`).

* Streams hedge on time to first content: a contender's chunks are buffered in its own
  queue and only the winner's queue reaches the caller, so nothing is duplicated.
* Only the async paths hedge; the sync driver keeps plain sequential failover.
* Each contender runs in its own `AttemptScope`, so its time limit, classification and
  recording are the engine's ordinary rules. When every contender failed before
  content, the race returns and the engine's loop goes on with plain failover.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.outputs import ChatGenerationChunk, ChatResult

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine.attempt import AttemptScope
from app.ai.providers.engine.bounded_reads import bounded_chunks
from app.ai.providers.engine.stream_guard import StreamGuard

if TYPE_CHECKING:
    from app.ai.providers.engine.call import CallState

_END = object()


@dataclass(eq=False)
class _Contender:
    scope: AttemptScope
    ready: asyncio.Future[Any]
    """Resolves to True once this attempt has content (or finished), False when it failed."""
    task: asyncio.Task[Any]
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)


async def _race(
    call: CallState, first: Member, delay: float, launch: Callable[[Member], _Contender]
) -> _Contender | None:
    """Run `first`, hedge once after `delay`; the first ready contender wins, the others
    are cancelled. None when every contender failed before content."""
    running = [launch(first)]
    hedge_pending = True
    try:
        while running:
            done, _ = await asyncio.wait(
                [c.ready for c in running],
                timeout=delay if hedge_pending else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not done:
                hedge_pending = False  # one hedge per call
                step = call.next_attempt()
                busy = step is not None and any(c.scope.member is step[0] for c in running)
                if step is not None and call.can_hedge_to(step) and not busy:
                    running.append(launch(step[0]))
                elif step is not None:
                    call.put_back(step)  # tried by the engine's loop if the running one fails
                continue
            for contender in [c for c in running if c.ready in done]:
                running.remove(contender)
                if contender.ready.cancelled():
                    raise asyncio.CancelledError
                if contender.ready.result():
                    await _cancel(running, "hedge_lost")
                    running.clear()
                    return contender
        return None
    except BaseException:
        await _cancel(running, "cancelled")
        raise


async def _cancel(contenders: list[_Contender], reason: str) -> None:
    """Cancel losers and wait for them, so their connections are released before we go on.

    Each is recorded as a `cancelled` attempt with `reason` (never counted as ill health).
    """
    for contender in contenders:
        contender.scope.abandon_reason = reason
        task = contender.task
        if task.done():
            if not task.cancelled() and task.exception() is None and not contender.scope.failed:
                contender.scope.call.abandoned(contender.scope, reason)  # finished, but lost
        else:
            task.cancel()
    for contender in contenders:
        with contextlib.suppress(BaseException):
            await contender.task


async def race_generate(
    call: CallState,
    first: Member,
    delay: float,
    send: Callable[[Member, dict[str, Any]], Awaitable[ChatResult]],
) -> tuple[AttemptScope, ChatResult] | None:
    """A non-streaming attempt hedged after `delay`; (winner's scope, result) or None."""

    def launch(member: Member) -> _Contender:
        scope = call.attempt(member)
        results: list[ChatResult] = []

        async def run() -> bool:
            with scope:
                async with asyncio.timeout(scope.timeout):
                    results.append(await send(member, call.call_kwargs(member, scope)))
                return True
            return False

        task = asyncio.ensure_future(run())
        contender = _Contender(scope, task, task)
        contender.queue.put_nowait(results)
        return contender

    winner = await _race(call, first, delay, launch)
    if winner is None:
        return None
    results: list[ChatResult] = winner.queue.get_nowait()
    return winner.scope, results[0]


async def race_stream(
    call: CallState,
    first: Member,
    delay: float,
    open_stream: Callable[[Member, dict[str, Any]], AsyncIterator[ChatGenerationChunk]],
) -> AsyncIterator[ChatGenerationChunk]:
    """A streamed attempt hedged on time to first content. Yields the winner's chunks,
    then the closing chunk; yields nothing when every contender failed before content.
    A failure after content raises the interrupted-stream error."""

    def launch(member: Member) -> _Contender:
        scope = call.attempt(member, StreamGuard(member))
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        contender = _Contender(scope, ready, None)  # type: ignore[arg-type]
        contender.task = asyncio.ensure_future(_pump(call, contender, open_stream))
        return contender

    winner = await _race(call, first, delay, launch)
    if winner is None:
        return
    guard = winner.scope.guard
    assert guard is not None
    try:
        while True:
            item = await winner.queue.get()
            if item is _END:
                meta = call.succeeded(
                    winner.scope, guard.usage, streamed=True, ttft_ms=guard.ttft_ms,
                    finish_reason=guard.finish_reason,
                )
                yield guard.closing_chunk(meta)
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if not winner.task.done():
            winner.task.cancel()
            with contextlib.suppress(BaseException):
                await winner.task


async def _pump(
    call: CallState,
    contender: _Contender,
    open_stream: Callable[[Member, dict[str, Any]], AsyncIterator[ChatGenerationChunk]],
) -> None:
    """Read one provider's stream into its queue; resolve `ready` at first content."""
    scope, ready, queue = contender.scope, contender.ready, contender.queue
    guard = scope.guard
    assert guard is not None
    inner = open_stream(scope.member, call.call_kwargs(scope.member, scope))

    def put(chunks: Any) -> None:
        for chunk in chunks:
            queue.put_nowait(chunk)
            if not ready.done():
                ready.set_result(True)

    try:
        with scope:
            # each chunk bounded: first-token / idle timeout, the attempt's limit
            async for chunk in bounded_chunks(inner, call, scope):
                put(guard.admit(chunk))
            put(guard.finish())
            queue.put_nowait(_END)
            if not ready.done():
                ready.set_result(True)
            return
        if not ready.done():
            ready.set_result(False)  # failed before content; recorded by the scope
    except asyncio.CancelledError:
        if not ready.done():
            ready.cancel()
        raise
    except BaseException as error:  # after content: the interrupted-stream error
        if not ready.done():
            ready.set_exception(error)
        else:
            queue.put_nowait(error)
    finally:
        closer = getattr(inner, "aclose", None)
        if closer is not None:
            with contextlib.suppress(BaseException):
                await closer()
