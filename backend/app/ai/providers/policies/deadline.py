"""The call deadline: one monotonic budget shared by every attempt, backoff included."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class Deadline:
    """`AI_REQUEST_DEADLINE` seconds from creation; each attempt also has its own cap."""

    seconds: float
    attempt_timeout: float
    started: float = field(default_factory=time.monotonic)

    @property
    def remaining(self) -> float:
        return max(0.0, self.started + self.seconds - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining <= 0.0

    def next_attempt_timeout(self) -> float:
        """Seconds the next attempt may take: its own cap, but never past the deadline."""
        return min(self.attempt_timeout, self.remaining)

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0
