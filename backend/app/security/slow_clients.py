"""Cut off clients that send their request headers too slowly (uvicorn has no such limit).

uvicorn (0.54) times out only idle keep-alive connections: a client that opens a
connection and sends one header byte a second holds it, and a slot of the server,
for as long as it likes. `SlowClientProtocol` is uvicorn's httptools protocol with one
addition: from the moment a connection opens, or a new request on it begins, the
headers must be complete within `REQUEST_HEADER_TIMEOUT_SECONDS`; otherwise the server
answers 408 and closes the connection. Slow *bodies* are cut by
`BodySizeLimitMiddleware` (`REQUEST_BODY_TIMEOUT_SECONDS`), which works under any server.

`python -m app.cli serve` selects this protocol (`--http app.security.slow_clients:SlowClientProtocol`
does the same for a plain `uvicorn` command line).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import get_settings

#: uvicorn's `http=` value for this protocol.
PROTOCOL_PATH = "app.security.slow_clients:SlowClientProtocol"


class SlowClientProtocol(HttpToolsProtocol):
    """HttpToolsProtocol + a deadline for each request's headers."""

    #: Seconds; None reads REQUEST_HEADER_TIMEOUT_SECONDS from the settings.
    header_timeout: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_seconds = self.header_timeout or get_settings().REQUEST_HEADER_TIMEOUT_SECONDS
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # a further request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self._header_seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # never interleave a response
            detail = {"detail": {
                "message": f"The request headers did not arrive within {self._header_seconds:g} s "
                           "(REQUEST_HEADER_TIMEOUT_SECONDS)",
                "limit_name": "REQUEST_HEADER_TIMEOUT_SECONDS",
            }}
            body = json.dumps(detail).encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                + b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
            )
        self.logger.info("closed a connection whose request headers were too slow")
        self.transport.close()
