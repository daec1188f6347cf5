"""One attempt of one provider: the block every path of the engine runs it in.

`with call.attempt(member) as scope:` is where the engine's rules live, once:
the attempt's time limit (the smaller of `AI_REQUEST_TIMEOUT` and what is left of the
call deadline, fixed when the attempt starts), classification and recording of a
failure, re-raising cancellation, recording a hedge loser as abandoned, and turning a
failure after streamed content into the interrupted-stream error. A failure the plan
can move on from is swallowed (`scope.failed` is then True), so the loops stay short.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Protocol

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine.stream_guard import StreamGuard
from app.ai.providers.policies.classification import Classification, ErrorClass
from app.ai.providers.policies.deadline import Deadline


class CallRecorder(Protocol):
    """What an attempt reports to: the call's deadline and record (`call.CallState`)."""

    deadline: Deadline

    def failed(self, scope: AttemptScope, exc: BaseException) -> Classification: ...

    def abandoned(self, scope: AttemptScope, reason: str) -> None: ...

    def interrupted(
        self, member: Member, exc: BaseException, usage: Mapping[str, Any] | None = None
    ) -> BaseException: ...


class AttemptScope:
    """The context of one attempt (see the module docstring)."""

    __slots__ = ("abandon_reason", "call", "failed", "guard", "member", "started", "timeout", "verdict")

    def __init__(self, call: CallRecorder, member: Member, guard: StreamGuard | None = None) -> None:
        self.call = call
        self.member = member
        self.guard = guard
        self.started = time.monotonic()
        self.timeout = call.deadline.next_attempt_timeout()
        self.failed = False
        self.verdict: Classification | None = None
        #: Set before the engine cancels this attempt itself (a hedge that lost).
        self.abandon_reason: str | None = None

    @property
    def remaining(self) -> float:
        """Seconds this attempt may still take."""
        return max(0.0, self.started + self.timeout - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining <= 0.0

    @property
    def sent_content(self) -> bool:
        return self.guard is not None and self.guard.sent_content

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0

    def __enter__(self) -> AttemptScope:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None:
            return False
        if self.abandon_reason is not None and isinstance(exc, asyncio.CancelledError):
            self.call.abandoned(self, self.abandon_reason)
            return False
        self.failed = True
        self.verdict = self.call.failed(self, exc)
        if self.verdict.error_class is ErrorClass.CANCELLED:
            return False
        if self.sent_content:
            # The loop ends here; the chat model may continue the cut stream (`rescue.py`).
            usage = self.guard.usage if self.guard is not None else None
            raise self.call.interrupted(self.member, exc, usage) from exc
        return True
