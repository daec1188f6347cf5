"""A streamed gateway answer written to the ASGI server, stopped when the caller leaves.

Why not Starlette's `StreamingResponse`: on servers that speak ASGI 2.3 (uvicorn does),
it runs every stream in an anyio task group -- one task writing, one waiting for the
disconnect, a cancel scope to join them -- which costs about 8% of a streamed gateway
call's CPU (`benchmarks.bench_gateway`, docs/BENCHMARKS.md "Gateway"). The caller
leaving still has to end the stream at once: uvicorn drops writes to a closed
connection silently, so without a watcher a stream nobody reads would run to its end
and pay the provider for every token. Here the watcher is one `receive()` future whose
callback cancels the writing task; nothing else is added to the stream's path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send


class EventStreamResponse(Response):
    """`text/event-stream` from an async iterator of bytes; the caller leaving ends it."""

    media_type = "text/event-stream"

    def __init__(self, body: AsyncIterator[bytes], headers: Mapping[str, str] | None = None) -> None:
        self.body_iterator = body
        self.status_code = 200
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        writer = asyncio.current_task()
        assert writer is not None
        left = finished = False
        # The handler has read the request body: what `receive` says next is the disconnect.
        watcher: asyncio.Future[Message] = asyncio.ensure_future(receive())

        def on_message(waiter: asyncio.Future[Message]) -> None:
            nonlocal left, watcher
            # `finished`: a callback already scheduled when the stream ended must not cancel.
            if finished or waiter.cancelled() or waiter.exception() is not None:
                return
            if waiter.result()["type"] == "http.disconnect":
                left = True
                writer.cancel()
            else:  # a body part nobody read: keep listening for the disconnect
                watcher = asyncio.ensure_future(receive())
                watcher.add_done_callback(on_message)

        watcher.add_done_callback(on_message)
        try:
            start = {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
            await send(start)
            async for part in self.body_iterator:
                await send({"type": "http.response.body", "body": part, "more_body": True})
            # Stop watching before the last write: a complete response reads as "disconnect".
            finished = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if left and writer.uncancel() == 0:
                return  # the caller left: the body's cleanup has run; nothing more to write
            raise
        finally:
            finished = True
            watcher.cancel()
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                await aclose()
