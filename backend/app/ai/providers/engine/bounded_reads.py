"""Bounded waits for a stream: the first-token and idle timeouts, sync and async.

The async form (`bounded_chunks`) bounds each `anext` on one lazily moved timer (`WaitBound`).

Why a reader thread: the async engine cancels a wait that runs out, but a sync SDK
stream blocks the calling thread inside a socket read that nothing can interrupt, so a
provider that sent headers and then nothing would hold the call for the SDK's whole read
timeout. Here one short-lived thread per attempt pulls the provider's
stream into a queue and the caller waits on the queue with the bound it needs
(`AI_FIRST_TOKEN_TIMEOUT` before content, `AI_STREAM_IDLE_TIMEOUT` after). An abandoned
stream is closed by its reader thread (a generator can only be closed by the thread
running it) as soon as its blocked read returns -- at the latest at the SDK's own
timeout, which is the attempt's time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from app.ai.providers.engine.attempt import AttemptScope
    from app.ai.providers.engine.call import CallState

T = TypeVar("T")

_END = object()


class BoundedReader(Generic[T]):
    """Iterate `inner`, each wait bounded by `call.chunk_wait(scope)`; a wait that runs out
    raises `call.wait_error(scope)` (first-token, idle or time-limit error) in the
    caller's thread. Use as a context manager: leaving it abandons the stream."""

    def __init__(self, inner: Iterator[T], call: CallState, scope: AttemptScope) -> None:
        self._inner = inner
        self._wait: Callable[[], float] = lambda: call.chunk_wait(scope)
        self._timed_out: Callable[[], Exception] = lambda: call.wait_error(scope)
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stop = threading.Event()
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._pump,), name="hybrid-stream-reader", daemon=True
        )
        self._thread.start()

    def _pump(self) -> None:
        try:
            for item in self._inner:
                self._items.put(item)
                if self._stop.is_set():
                    break
        except BaseException as error:  # handed to the caller's thread, which classifies it
            self._items.put(_Raised(error))
        finally:
            self._items.put(_END)
            closer = getattr(self._inner, "close", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    closer()

    def __iter__(self) -> Iterator[T]:
        while True:
            wait = self._wait()
            if wait <= 0:  # the attempt's time limit, also for a stream that never pauses
                raise self._timed_out()
            try:
                item = self._items.get(timeout=wait)
            except queue.Empty:
                raise self._timed_out() from None
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]

    def close(self) -> None:
        """Abandon the stream: the reader thread stops and closes it after its current read."""
        self._stop.set()

    def __enter__(self) -> BoundedReader[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


async def bounded_chunks(inner: AsyncIterator[T], call: CallState, scope: AttemptScope) -> AsyncIterator[T]:
    """The async form: each `anext` bounded by `call.chunk_wait(scope)` (`WaitBound`); a
    wait that runs out raises `call.wait_error(scope)`. Only the waits are bounded, not
    the time the consumer holds a chunk. Closing `inner` stays with the caller, which owns it."""
    bound = WaitBound()
    try:
        while True:
            bound.arm(call.chunk_wait(scope))
            try:
                chunk = await anext(inner)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if bound.end_wait():  # the bound's own cancellation, nobody else's
                    raise call.wait_error(scope) from TimeoutError()
                raise
            finally:
                # However the wait ended -- a chunk, the end, an error, a cancel the stream
                # swallowed -- a cancellation the bound asked for is withdrawn.
                bound.end_wait()
            yield chunk
    finally:
        bound.close()


class WaitBound:
    """The deadline of one stream's successive waits, kept on one timer that moves lazily.

    Why not `asyncio.timeout` around each `anext`: that builds a timeout and schedules and
    cancels a loop timer for every chunk, about 4% of a streamed gateway call's CPU
    (docs/BENCHMARKS.md, "Gateway"), and asyncio has no timeout whose deadline moves
    without rescheduling. Here `arm` only records the wait's deadline and task; the single
    timer, when it fires, re-arms itself at the current deadline if that moved later, and
    cancels the task only when an armed wait really ran past its deadline. A deadline
    earlier than the timer's moves the timer. The cancellation is withdrawn the way
    `asyncio.timeout` withdraws its own (`end_wait`), so a caller's cancel stays a cancel.
    """

    __slots__ = ("_cancelling", "_fired", "_handle", "_loop", "_task", "_when")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._when: float | None = None
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._handle: asyncio.TimerHandle | None = None
        self._fired = False

    def arm(self, seconds: float) -> None:
        """A wait of at most `seconds` starts now, in the running task."""
        when = self._loop.time() + seconds
        task = asyncio.current_task()
        assert task is not None
        self._when, self._task, self._cancelling = when, task, task.cancelling()
        handle = self._handle
        if handle is None or handle.when() > when:
            if handle is not None:
                handle.cancel()
            self._handle = self._loop.call_at(when, self._check)

    def end_wait(self) -> bool:
        """The wait ended: nothing is cancelled until the next `arm`, and the bound's
        cancellation, if it fired, is withdrawn. True when it fired and was the only one
        asked of the task (the wait ran out; otherwise the task is being cancelled).
        A second call for the same wait does nothing and says False."""
        self._when = None
        if not self._fired:
            return False
        self._fired = False
        assert self._task is not None
        return self._task.uncancel() <= self._cancelling

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._when = None

    def _check(self) -> None:
        assert self._handle is not None
        set_for, self._handle = self._handle.when(), None
        when = self._when
        if when is None:  # no wait under way: the next `arm` sets a timer
            return
        if when > set_for:  # the deadline moved on since the timer was set
            self._handle = self._loop.call_at(when, self._check)
            return
        assert self._task is not None
        self._fired = True
        self._task.cancel()


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error
