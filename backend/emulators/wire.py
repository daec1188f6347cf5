"""Request/response value types shared by the HTTP core and the provider apps.

Why separate: provider modules build these without depending on the socket-level
server, and the server applies faults to them without knowing any provider format.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from emulators.faults import Fault


@dataclass
class EmulatorRequest:
    """One received request, as handed to the provider app and kept for assertions."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    json_error: str | None = None
    received_at: float = field(default_factory=time.time)
    fault: Fault | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for ``GET /_emulator/requests``."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.json if self.json_error is None else self.body.decode("utf-8", "replace"),
            "time": self.received_at,
            "fault": None if self.fault is None else self.fault.to_dict(),
        }


@dataclass
class JsonResponse:
    """A complete JSON answer (success or provider-shaped error)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SseEvent:
    """One SSE event, already encoded.

    ``kind`` lets the core apply stream faults without knowing the provider format:
    ``head`` events (message start, role chunk, ping) are always sent, ``token`` events
    are the countable content pieces, ``tail`` events (finish reason, usage, ``[DONE]``,
    ``message_stop``) are the terminal part that a cut stream omits.
    """

    data: bytes
    kind: Literal["head", "token", "tail"] = "token"


@dataclass
class StreamResponse:
    """A ``text/event-stream`` answer sent with chunked transfer encoding."""

    events: list[SseEvent]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


Response = JsonResponse | StreamResponse


class ProviderApp(Protocol):
    """What a provider emulator implements; all methods are synchronous and fast."""

    provider: str

    def handle(self, request: EmulatorRequest) -> Response:
        """Answer a (non-faulted) provider request."""
        ...

    def fault_error(self, fault: Fault, request: EmulatorRequest) -> JsonResponse:
        """Provider-shaped error response for an injected error status."""
        ...

    def stream_error(self, fault: Fault) -> bytes:
        """Encoded in-stream error event for ``stream_error_after``."""
        ...


def encode_json(body: Any) -> bytes:
    """Compact JSON, as the providers send it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
