"""Bounded waits for a stream: the first-token and idle timeouts, sync and async.

The async form (`bounded_chunks`) is `asyncio.timeout` around each `anext`.

Why a reader thread: the async engine bounds each wait with `asyncio.timeout`, but a
sync SDK stream blocks the calling thread inside a socket read that nothing can
interrupt, so a provider that sent headers and then nothing would hold the call for the
SDK's whole read timeout. Here one short-lived thread per attempt pulls the provider's
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
    """The async form: each `anext` bounded by `call.chunk_wait(scope)` with
    `asyncio.timeout`; a wait that runs out raises `call.wait_error(scope)`. Closing
    `inner` stays with the caller, which owns it."""
    while True:
        try:
            async with asyncio.timeout(call.chunk_wait(scope)):
                chunk = await anext(inner)
        except StopAsyncIteration:
            return
        except TimeoutError as timeout:
            raise call.wait_error(scope) from timeout
        yield chunk


class _Raised:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error
