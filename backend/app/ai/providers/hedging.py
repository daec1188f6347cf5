"""Hedged requests: when the first provider is slow to start answering, race the next.

Why: a stalled provider (no error, just no bytes) otherwise costs the caller the whole
attempt timeout before failover starts. With hedging, if the first provider has not
produced its first token after the hedge delay, the next provider is started too; the
first to produce content wins and the other is cancelled (its task is cancelled, which
closes its HTTP stream and gives the connection back to the pool). Both attempts are
recorded in the answer's `hybrid.attempts` (the loser as `cancelled`, reason `hedge_lost`).

* `fixed`: hedge after `AI_HEDGE_AFTER_MS`.
* `adaptive`: hedge after the p95 time to first token observed for that provider
  (at least `AI_HEDGE_MIN_MS`); until enough samples exist, `AI_HEDGE_AFTER_MS` if set,
  else no hedge. Only winners are observed, so the estimate leans fast -- acceptable,
  since it only decides when a second request is *started*.
* Streams hedge on time to first content: a contender's chunks are buffered in its own
  queue and only the winner's queue reaches the caller, so nothing is duplicated.
* Only the async paths hedge (`ainvoke`, `astream`, and structured output through
  them); the sync paths keep plain sequential failover (threads cannot be cancelled).
* Every attempt runs under the call deadline, so no call outlives `AI_REQUEST_DEADLINE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.outputs import ChatGenerationChunk, ChatResult

from app.ai.providers.base import Member
from app.ai.providers.classification import ErrorClass
from app.ai.providers.errors import DeadlineExceededError
from app.core.config import Settings

if TYPE_CHECKING:
    from app.ai.providers.call import CallState

#: Samples needed before the adaptive mode trusts its p95.
ADAPTIVE_MIN_SAMPLES = 20
ADAPTIVE_WINDOW = 200


class HedgePolicy:
    """When to start the next provider; `delay_for` is None when not hedging."""

    def __init__(self, mode: str = "off", after_ms: float | None = None, min_ms: float = 50.0) -> None:
        self.mode = mode
        self.after_ms = after_ms
        self.min_ms = min_ms
        self._ttft: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def observe(self, provider: str, ttft_ms: float) -> None:
        with self._lock:
            self._ttft.setdefault(provider, deque(maxlen=ADAPTIVE_WINDOW)).append(ttft_ms)

    def p95_ms(self, provider: str) -> float | None:
        with self._lock:
            samples = sorted(self._ttft.get(provider, ()))
        if len(samples) < ADAPTIVE_MIN_SAMPLES:
            return None
        return samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]

    def delay_for(self, provider: str) -> float | None:
        """Seconds after which `provider`'s attempt is hedged, or None."""
        if self.mode == "fixed" and self.after_ms is not None:
            return self.after_ms / 1000.0
        if self.mode == "adaptive":
            p95 = self.p95_ms(provider)
            chosen = max(p95, self.min_ms) if p95 is not None else self.after_ms
            return chosen / 1000.0 if chosen is not None else None
        return None


def build_hedge_policy(settings: Settings) -> HedgePolicy:
    """The policy `AI_HEDGE_MODE` / `AI_HEDGE_AFTER_MS` / `AI_HEDGE_MIN_MS` ask for."""
    return HedgePolicy(settings.hedge_mode, settings.AI_HEDGE_AFTER_MS, settings.AI_HEDGE_MIN_MS)


@dataclass(eq=False)
class _Contender:
    member: Member
    started: float
    ready: asyncio.Future[Any]
    task: asyncio.Task[Any] | None = None
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    guard: Any = None


_END = object()


async def _race(
    call: CallState,
    launch: Callable[[Member], _Contender],
    policy: HedgePolicy,
) -> _Contender:
    """Run attempts (hedging when due) until one is ready; the others are cancelled."""
    running: list[_Contender] = []
    pending: tuple[Member, float] | None = None
    hedge_at: float | None = None
    try:
        while True:
            if not running:
                step = pending or call.next_attempt()
                pending = None
                if step is None:
                    raise call.exhausted()
                member, pause = step
                await asyncio.sleep(min(pause, call.deadline.remaining))
                running.append(launch(member))
                # Only the call's first attempt is hedged; after a failure it is plain failover.
                delay = policy.delay_for(member.name) if hedge_at is None else None
                hedge_at = time.monotonic() + delay if delay is not None else math.inf
            wait = call.deadline.remaining + 0.05
            if pending is None and hedge_at is not None and hedge_at is not math.inf:
                wait = min(wait, max(0.0, hedge_at - time.monotonic()))
            done, _ = await asyncio.wait(
                [c.ready for c in running], timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                if call.deadline.expired:  # attempts carry the deadline themselves; a safety net
                    late = DeadlineExceededError("call deadline reached while racing providers")
                    for contender in running:
                        call.begin(contender.started)
                        call.failed(contender.member, late)
                    await _cancel(call, running, None)
                    running.clear()
                    raise call.exhausted()
                if hedge_at is not None and time.monotonic() >= hedge_at and pending is None:
                    hedge_at = math.inf  # one hedge per call
                    step = call.next_attempt()
                    if step is not None and _can_hedge_to(call, step, running):
                        running.append(launch(step[0]))
                    else:
                        pending = step
                continue
            for contender in [c for c in running if c.ready in done]:
                running.remove(contender)
                error = (
                    asyncio.CancelledError() if contender.ready.cancelled() else contender.ready.exception()
                )
                if error is None:
                    policy.observe(contender.member.name, (time.monotonic() - contender.started) * 1000)
                    await _cancel(call, running, "hedge_lost")
                    running.clear()
                    return contender
                call.begin(contender.started)
                if call.failed(contender.member, error).error_class is ErrorClass.CANCELLED:
                    raise error
    except BaseException:
        await _cancel(call, running, "cancelled")
        raise


def _can_hedge_to(call: CallState, step: tuple[Member, float], running: list[_Contender]) -> bool:
    """Hedge only to another provider that is ready now and whose circuit is not open."""
    member, pause = step
    last_resort: set[str] = getattr(call, "last_resort", set())
    return pause <= 0 and member.name not in last_resort and all(c.member is not member for c in running)


async def _cancel(call: CallState, contenders: list[_Contender], reason: str | None) -> None:
    """Cancel losers and wait for them, so their connections are released before we go on.

    With a `reason`, each is recorded as a `cancelled` attempt (never counted as ill health).
    """
    for contender in contenders:
        if contender.task is not None:
            contender.task.cancel()
    for contender in contenders:
        if contender.task is not None:
            with contextlib.suppress(BaseException):
                await contender.task
        if contender.ready.done() and not contender.ready.cancelled():
            contender.ready.exception()  # retrieved: no "never retrieved" warning
        if reason is not None:
            call.begin(contender.started)
            call.abandoned(contender.member, reason)


async def hedged_generate(
    call: CallState,
    attempt: Callable[[Member], Awaitable[ChatResult]],
) -> tuple[Member, ChatResult]:
    """One non-streaming call with hedging; returns the winner and its result.

    On return the call's attempt clock is the winner's, so `call.succeeded` times it.
    """
    policy: HedgePolicy = call.model.hedge

    def launch(member: Member) -> _Contender:
        async def run() -> ChatResult:
            async with asyncio.timeout(call.deadline.next_attempt_timeout()):
                return await attempt(member)

        task = asyncio.ensure_future(run())
        return _Contender(member, time.monotonic(), task, task)

    winner = await _race(call, launch, policy)
    call.begin(winner.started)
    result: ChatResult = winner.ready.result()
    return winner.member, result


async def hedged_stream(
    call: CallState,
    open_stream: Callable[[Member], AsyncIterator[ChatGenerationChunk]],
    guard_factory: Callable[[Member], Any],
) -> AsyncIterator[tuple[Member, Any, ChatGenerationChunk | None]]:
    """One streaming call with hedging on time to first content.

    Yields (member, guard, chunk) for each chunk of the winner, then (member, guard,
    None) once its stream ended properly. A failure after content raises the error
    from `call.interrupted`; before content, the race moves on to the next provider.
    """
    policy: HedgePolicy = call.model.hedge

    def launch(member: Member) -> _Contender:
        loop = asyncio.get_running_loop()
        contender = _Contender(member, time.monotonic(), loop.create_future())
        contender.guard = guard_factory(member)
        contender.task = asyncio.ensure_future(_pump(call, contender, open_stream))
        return contender

    winner = await _race(call, launch, policy)
    try:
        while True:
            item = await winner.queue.get()
            if item is _END:
                call.begin(winner.started)
                yield winner.member, winner.guard, None
                return
            if isinstance(item, BaseException):
                call.begin(winner.started)
                if call.failed(winner.member, item).error_class is ErrorClass.CANCELLED:
                    raise item
                raise call.interrupted(winner.member, item, winner.guard.usage) from item
            yield winner.member, winner.guard, item
    finally:
        if winner.task is not None and not winner.task.done():
            winner.task.cancel()
            with contextlib.suppress(BaseException):
                await winner.task


async def _pump(
    call: CallState,
    contender: _Contender,
    open_stream: Callable[[Member], AsyncIterator[ChatGenerationChunk]],
) -> None:
    """Read one provider's stream into its queue; resolve `ready` at first content."""
    inner = open_stream(contender.member)
    guard = contender.guard
    try:
        while True:  # each chunk bounded: first-token / idle timeout, never past the deadline
            try:
                async with asyncio.timeout(call.chunk_wait(guard)):
                    chunk = await anext(inner)
            except StopAsyncIteration:
                break
            except TimeoutError as timeout:
                raise call.wait_error(contender.member, guard) from timeout
            _put(contender, guard.admit(chunk))
        _put(contender, guard.finish())
        contender.queue.put_nowait(_END)
        if not contender.ready.done():
            contender.ready.set_result(None)
    except asyncio.CancelledError:
        if not contender.ready.done():
            contender.ready.cancel()
        raise
    except Exception as error:
        if not contender.ready.done():
            contender.ready.set_exception(error)
        else:
            contender.queue.put_nowait(error)
    finally:
        close = getattr(inner, "aclose", None)
        if close is not None:
            with contextlib.suppress(BaseException):
                await close()


def _put(contender: _Contender, chunks: Iterator[ChatGenerationChunk]) -> None:
    for chunk in chunks:
        contender.queue.put_nowait(chunk)
        if not contender.ready.done():
            contender.ready.set_result(None)
