"""Minimal HTTP/1.1 server on asyncio streams + h11, built for fault injection.

Why not uvicorn/starlette: the fault injector must own the socket.  It has to be able
to stay silent forever (hang), abort the TCP connection with a reset, end a chunked
stream early without the provider's terminal event, delay the headers and pace SSE
events -- none of which an ASGI server lets an application do faithfully.

The server handles keep-alive (the SDKs pool connections), request bodies with
Content-Length or chunked encoding (h11 decodes both) and ``Expect: 100-continue``.
Provider behaviour lives in a :class:`ProviderApp`; this module only knows about
requests, JSON responses, SSE streams, faults, recording and the ``/_emulator/``
control endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import threading
from collections import deque
from collections.abc import Mapping
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

import h11

from emulators.faults import Fault, FaultPlan
from emulators.wire import (
    EmulatorRequest,
    JsonResponse,
    ProviderApp,
    Response,
    SseEvent,
    StreamResponse,
    encode_json,
)

__all__ = [
    "CONTROL_PREFIX",
    "EmulatorRequest",
    "EmulatorServer",
    "JsonResponse",
    "ProviderApp",
    "Response",
    "SseEvent",
    "StreamResponse",
    "encode_json",
]

CONTROL_PREFIX = "/_emulator/"
logger = logging.getLogger(__name__)
_READ_SIZE = 65536


class EmulatorServer:
    """asyncio + h11 server routing to one :class:`ProviderApp`.

    ``start``/``stop`` must run on the loop that serves; ``faults`` and the recorded
    requests are safe to use from other threads.
    """

    def __init__(
        self,
        app: ProviderApp,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | None = None,
        max_recorded: int = 1000,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.faults = faults if faults is not None else FaultPlan()
        self._records: deque[EmulatorRequest] = deque(maxlen=max_recorded)
        self._record_lock = threading.Lock()
        self._request_count = 0
        self.connections_accepted = 0
        """TCP connections accepted since start (keep-alive checks)."""
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- recording
    @property
    def requests(self) -> list[EmulatorRequest]:
        """Recorded provider requests (oldest first, bounded)."""
        with self._record_lock:
            return list(self._records)

    @property
    def request_count(self) -> int:
        """Provider requests received since the last clear (not bounded)."""
        with self._record_lock:
            return self._request_count

    def clear_requests(self) -> None:
        """Forget recorded requests and reset the counter."""
        with self._record_lock:
            self._records.clear()
            self._request_count = 0

    def forget_prompt_cache(self) -> None:
        """Clear the provider app's prompt cache, when it has one."""
        forget = getattr(self.app, "forget_prompt_cache", None)
        if forget is not None:
            forget()

    def _record(self, request: EmulatorRequest) -> None:
        with self._record_lock:
            self._records.append(request)
            self._request_count += 1

    # ----------------------------------------------------------------- lifecycle
    @property
    def started(self) -> bool:
        """True between ``start`` and ``stop``."""
        return self._server is not None

    async def start(self) -> None:
        """Bind and start accepting; ``self.port`` holds the real port afterwards."""
        # A deep backlog: benchmarks open hundreds of connections at once, and a dropped
        # SYN costs the client a 1 s retransmit (or a connect timeout).
        self._server = await asyncio.start_server(
            self._on_connection, self.host, self.port, backlog=4096
        )
        sock = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])

    async def stop(self) -> None:
        """Stop accepting and cancel every open connection (including hanging ones)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    # ---------------------------------------------------------------- connection
    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        self.connections_accepted += 1
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request = await self._read_request(conn, reader, writer)
                if request is None:
                    break
                keep_alive = await self._dispatch(conn, request, reader, writer)
                if not keep_alive:
                    break
                if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                    conn.start_next_cycle()
                else:
                    break
        except (ConnectionError, OSError, h11.LocalProtocolError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> EmulatorRequest | None:
        head: h11.Request | None = None
        chunks: list[bytes] = []
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                await self._send_protocol_error(conn, writer, exc)
                return None
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    self._write(conn, writer, h11.InformationalResponse(status_code=100, headers=[]))
                data = await reader.read(_READ_SIZE)
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None
                return _build_request(head, b"".join(chunks))
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None

    async def _send_protocol_error(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, exc: h11.RemoteProtocolError
    ) -> None:
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        with contextlib.suppress(h11.LocalProtocolError):
            await self._send_json(
                conn,
                writer,
                JsonResponse(exc.error_status_hint, {"error": {"message": str(exc)}}),
            )

    # ------------------------------------------------------------------ dispatch
    async def _dispatch(
        self,
        conn: h11.Connection,
        request: EmulatorRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer one request; return False when the connection must be dropped."""
        if request.path.startswith(CONTROL_PREFIX):
            await self._send_json(conn, writer, self._control(request))
            return True

        fault = self.faults.next_fault()
        request.fault = fault
        self._record(request)
        if fault is None:
            await self._send_response(conn, writer, self._answer(request), None, reader)
            return True

        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.reset:
            _abort_with_rst(writer)
            return False
        if fault.hang:
            # Say nothing; just drain whatever arrives until the client gives up.
            while await reader.read(_READ_SIZE):
                pass
            return False
        if fault.status is not None or (fault.error_type is not None and not fault.is_stream_fault):
            response = self.app.fault_error(fault, request)
            if fault.retry_after is not None:
                response.headers["retry-after"] = _number(fault.retry_after)
            if fault.retry_after_ms is not None:
                response.headers["retry-after-ms"] = _number(fault.retry_after_ms)
            await self._send_json(conn, writer, response)
            return True
        await self._send_response(conn, writer, self._answer(request), fault, reader)
        return True

    def _answer(self, request: EmulatorRequest) -> Response:
        """Run the provider app; an emulator bug becomes a provider-shaped 500, not a hang."""
        try:
            return self.app.handle(request)
        except Exception:
            logger.exception("emulator %s failed on %s %s", self.app.provider, request.method, request.path)
            return self.app.fault_error(Fault(status=500), request)

    async def _send_response(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        response: Response,
        fault: Fault | None,
        reader: asyncio.StreamReader,
    ) -> None:
        if isinstance(response, JsonResponse):
            await self._send_json(conn, writer, response)
        else:
            await self._send_stream(conn, writer, response, fault, reader)

    async def _send_json(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, response: JsonResponse
    ) -> None:
        body = encode_json(response.body)
        headers = {
            "content-type": "application/json",
            **response.headers,
            "content-length": str(len(body)),
        }
        # One write for the whole response: separate small segments would interact
        # with Nagle / delayed ACKs and add tens of milliseconds per request.
        out = bytearray()
        for event in (_response_head(response.status, headers), h11.Data(data=body), h11.EndOfMessage()):
            out += conn.send(event) or b""
        writer.write(bytes(out))
        await writer.drain()

    async def _send_stream(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        response: StreamResponse,
        fault: Fault | None,
        reader: asyncio.StreamReader,
    ) -> None:
        cut_after = fault.cut_after if fault else None
        error_after = fault.stream_error_after if fault else None
        stall_after = fault.stall_after if fault else None
        malformed_after = fault.malformed_after if fault else None
        first_token_delay = fault.first_token_delay if fault else 0.0
        token_delay = fault.token_delay if fault else 0.0
        headers = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            **response.headers,
            "transfer-encoding": "chunked",
        }
        if cut_after is not None or error_after is not None or stall_after is not None:
            # The stream will end abnormally: make sure nobody reuses the connection.
            headers["connection"] = "close"
        self._write(conn, writer, _response_head(response.status, headers))
        await writer.drain()
        tokens_sent = 0
        malformed_sent = False
        for index, event in enumerate(response.events):
            if event.kind != "head":
                reached = event.kind == "tail"
                if error_after is not None and (reached or tokens_sent >= error_after):
                    assert fault is not None
                    self._write(conn, writer, h11.Data(data=self.app.stream_error(fault)))
                    break
                if cut_after is not None and (reached or tokens_sent >= cut_after):
                    break
                if stall_after is not None and (reached or tokens_sent >= stall_after):
                    await _hold_open(reader)
                    return
                if malformed_after is not None and not malformed_sent and tokens_sent >= malformed_after:
                    malformed_sent = True
                    self._write(conn, writer, h11.Data(data=_malformed(event)))
                    await writer.drain()
                if first_token_delay > 0 and tokens_sent == 0:
                    await asyncio.sleep(first_token_delay)
                    first_token_delay = 0.0
            if token_delay > 0 and index > 0:
                await asyncio.sleep(token_delay)
            self._write(conn, writer, h11.Data(data=event.data))
            await writer.drain()
            if event.kind == "token":
                tokens_sent += 1
        self._write(conn, writer, h11.EndOfMessage())
        await writer.drain()

    @staticmethod
    def _write(conn: h11.Connection, writer: asyncio.StreamWriter, event: h11.Event) -> None:
        data = conn.send(event)
        if data:
            writer.write(data)

    # ------------------------------------------------------------------ control
    def _control(self, request: EmulatorRequest) -> JsonResponse:
        """The ``/_emulator/`` endpoints; never faulted, never recorded."""
        route = (request.method, request.path.removeprefix(CONTROL_PREFIX).rstrip("/"))
        if route == ("GET", "health"):
            return JsonResponse(
                200,
                {"status": "ok", "provider": self.app.provider, "requests": self.request_count},
            )
        if route == ("GET", "faults"):
            return JsonResponse(200, self.faults.describe())
        if route == ("POST", "faults"):
            if request.json_error is not None:
                return JsonResponse(400, {"error": {"message": f"body is not JSON: {request.json_error}"}})
            if not isinstance(request.json, Mapping):
                return JsonResponse(422, {"error": {"message": "body must be a JSON object"}})
            try:
                self.faults.load(request.json)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                # Nothing was applied when the spec is invalid: a 422 says what to fix.
                return JsonResponse(422, {"error": {"message": f"invalid fault: {exc}"}})
            return JsonResponse(200, {"ok": True, **self.faults.describe()})
        if route == ("DELETE", "faults"):
            self.faults.clear()
            return JsonResponse(200, {"ok": True})
        if route == ("GET", "requests"):
            records = self.requests
            return JsonResponse(
                200,
                {"count": self.request_count, "requests": [r.to_dict() for r in records]},
            )
        if route == ("DELETE", "requests"):
            self.clear_requests()
            return JsonResponse(200, {"ok": True})
        if route == ("POST", "reset"):
            self.faults.clear()
            self.clear_requests()
            self.forget_prompt_cache()
            return JsonResponse(200, {"ok": True})
        return JsonResponse(404, {"error": {"message": f"no control route {route}"}})


def _build_request(head: h11.Request, body: bytes) -> EmulatorRequest:
    target = head.target.decode("latin-1")
    parts = urlsplit(target)
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in head.headers
    }
    request = EmulatorRequest(
        method=head.method.decode("ascii"),
        path=parts.path,
        query=dict(parse_qsl(parts.query)),
        headers=headers,
        body=body,
    )
    if body:
        try:
            request.json = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            request.json_error = str(exc)
    return request


def _response_head(status: int, headers: Mapping[str, str]) -> h11.Response:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Overloaded" if status == 529 else ""
    merged = {"date": formatdate(usegmt=True), "server": "tandem-emulator", **headers}
    return h11.Response(
        status_code=status,
        headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in merged.items()],
        reason=reason.encode("latin-1"),
    )


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0 so the peer sees a TCP reset, not a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _hold_open(reader: asyncio.StreamReader) -> None:
    """A stalled stream: send nothing more, keep the socket open until the client leaves."""
    while await reader.read(_READ_SIZE):
        pass


def _malformed(event: SseEvent) -> bytes:
    """An undecodable copy of `event` (same SSE event name, its JSON cut in half), as a
    garbling proxy or a provider bug delivers it; the real event follows it."""
    head, sep, data = event.data.partition(b"data: ")
    payload = data.rstrip(b"\r\n")
    return head + sep + payload[: max(1, len(payload) // 2)] + data[len(payload):]


def _number(value: float) -> str:
    """Header form of a number: integers without a trailing ``.0``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
