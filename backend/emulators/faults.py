"""Fault injection for the provider emulators.

Why this exists: the product's failover logic only earns trust if it is exercised
against the failures real providers produce -- error statuses with provider-shaped
bodies, rate limits with ``retry-after``, servers that never answer, TCP resets,
streams that break mid-way or silently stop.  A :class:`Fault` describes one such
failure; a :class:`FaultPlan` decides, per request, which fault (if any) applies.

Selection order for every provider request (control endpoints are never faulted):

1. the queue filled by :meth:`FaultPlan.push` -- consumed in order; the head fault
   applies to ``times`` requests (``None`` = until cleared) and is then dropped;
2. the seeded chaos mix installed by :meth:`FaultPlan.chaos`;
3. the default fault from :meth:`FaultPlan.set_default`.

``probability`` < 1 makes a queued/default fault apply only to a seeded-random share of
the requests; a request it skips does not consume one of its ``times``.

Fields that do not fit the request are ignored: stream faults (``cut_after``,
``stream_error_after``, ``stall_after``, ``malformed_after``, ``first_token_delay``,
``token_delay``) do nothing on a non-streaming request (the
fault is still selected, so it still uses up one of its ``times``).  A fault with only
``error_type`` (no ``status``) is an error response with that type's usual status,
unless it also has a stream fault, in which case ``error_type`` names the in-stream
error instead.
Precedence inside one fault: ``delay`` first, then ``reset``, then ``hang``, then
``status``, then the stream faults.  Answer-shaping faults (``truncate_after``,
``content_filter_after``, ``reject_prefill``) are applied by the provider app, which
reads them from ``EmulatorRequest.fault``; they combine with the stream faults.

The plan is shared between the test thread and the emulator's event-loop thread, so
every method takes a lock.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulators.fault_validation import validate_fault_spec


@dataclass
class Fault:
    """One failure to inject; see the module docstring for how it is chosen."""

    status: int | None = None
    """HTTP error status, answered with the provider-shaped error body."""
    error_type: str | None = None
    """Override of the provider error ``type``/``code`` (also picks a status if unset)."""
    retry_after: float | None = None
    """Seconds, sent as the ``retry-after`` header on the error response."""
    retry_after_ms: float | None = None
    """Milliseconds, sent as the ``retry-after-ms`` header on the error response."""
    delay: float = 0.0
    """Seconds to wait before sending the response headers."""
    hang: bool = False
    """Never answer: hold the connection until the client gives up."""
    reset: bool = False
    """Abort the TCP connection (RST) right after reading the request."""
    stream_error_after: int | None = None
    """In a stream: emit N content tokens, then the provider's in-stream error event."""
    cut_after: int | None = None
    """In a stream: emit N content tokens, then end the body with no terminal event."""
    token_delay: float = 0.0
    """Seconds between stream events."""
    first_token_delay: float = 0.0
    """In a stream: seconds of silence after the headers and opening events, before the
    first content token (a provider that "answered" but is not producing)."""
    stall_after: int | None = None
    """In a stream: emit N content tokens, then fall silent with the connection held
    open until the client gives up (no terminal event, no close)."""
    malformed_after: int | None = None
    """In a stream: after N content tokens, one event whose JSON is cut short (the
    SDKs cannot decode it); the stream then goes on and completes normally."""
    truncate_after: int | None = None
    """The answer stops after N tokens at the output limit: ``finish_reason: length``
    (OpenAI), ``stop_reason: max_tokens`` (Anthropic), ``MAX_TOKENS`` (Gemini); streamed
    or not. A well-formed answer, not a transport fault."""
    content_filter_after: int | None = None
    """The provider's content filter stops the answer after N tokens: OpenAI/Azure
    ``finish_reason: content_filter``, Anthropic ``stop_reason: refusal``, Gemini
    ``finishReason: SAFETY`` -- a 200 answer, streamed or not."""
    reject_prefill: bool = False
    """Answer a request that ends with an assistant turn (a prefill) with the provider's
    400, as models without prefill support do; other requests are answered normally."""
    times: int | None = None
    """How many requests the fault applies to; ``None`` = every request until cleared."""
    probability: float = 1.0
    """Chance that the fault applies to a given request (seeded, reproducible)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from JSON (control endpoint / CLI).

        Unknown keys and invalid values raise `FaultSpecError` (see fault_validation.py).
        """
        validate_fault_spec(data, {f.name for f in dataclasses.fields(cls)})
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, used by the control API and the subprocess helper."""
        return dataclasses.asdict(self)

    @property
    def is_stream_fault(self) -> bool:
        """True when the fault only changes how a stream is emitted."""
        return any(
            value is not None
            for value in (self.stream_error_after, self.cut_after, self.stall_after, self.malformed_after)
        ) or self.first_token_delay > 0

    @property
    def shapes_answer(self) -> bool:
        """True when the fault changes the answer itself (the provider app applies it)."""
        return (
            self.truncate_after is not None
            or self.content_filter_after is not None
            or self.reject_prefill
        )


# A reasonable default mix for ``--chaos-seed`` without an explicit mix: mostly
# healthy traffic with every fault family represented.
DEFAULT_CHAOS_MIX: list[tuple[float, Fault]] = [
    (0.08, Fault(status=500)),
    (0.06, Fault(status=429, retry_after=0.05)),
    (0.04, Fault(status=503)),
    (0.04, Fault(delay=0.2)),
    (0.03, Fault(cut_after=3)),
    (0.03, Fault(stream_error_after=2)),
    (0.02, Fault(reset=True)),
]


@dataclass
class _Queued:
    fault: Fault
    remaining: int | None


@dataclass
class _Chaos:
    seed: int
    mix: list[tuple[float, Fault]]
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        total = sum(weight for weight, _ in self.mix)
        if any(weight < 0 for weight, _ in self.mix) or total > 1.0 + 1e-9:
            raise ValueError("chaos weights must be >= 0 and sum to at most 1")
        self.rng = random.Random(self.seed)

    def pick(self) -> Fault | None:
        roll = self.rng.random()
        cumulative = 0.0
        for weight, fault in self.mix:
            cumulative += weight
            if roll < cumulative:
                return fault
        return None


class FaultPlan:
    """Thread-safe per-request fault selection (queue, seeded chaos, default)."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._queue: deque[_Queued] = deque()
        self._default: _Queued | None = None
        self._chaos: _Chaos | None = None

    def push(self, *faults: Fault) -> None:
        """Queue faults; they are consumed in order (each for its ``times``)."""
        with self._lock:
            for fault in faults:
                self._queue.append(_Queued(fault, fault.times))

    def set_default(self, fault: Fault | None) -> None:
        """Fault applied when the queue is empty and chaos picks nothing."""
        with self._lock:
            self._default = None if fault is None else _Queued(fault, fault.times)

    def chaos(self, seed: int, mix: Iterable[tuple[float, Fault]] | None = None) -> None:
        """Pick a fault per request from ``mix`` (weights = probabilities) with a seeded RNG.

        Reproducible: the same seed and the same request sequence give the same faults.
        """
        with self._lock:
            self._chaos = _Chaos(seed, list(DEFAULT_CHAOS_MIX if mix is None else mix))

    def clear(self) -> None:
        """Drop queued faults, the default and chaos mode; reseed the probability RNG."""
        with self._lock:
            self._queue.clear()
            self._default = None
            self._chaos = None
            self._rng = random.Random(self._seed)

    @property
    def pending(self) -> int:
        """Number of faults still queued."""
        with self._lock:
            return len(self._queue)

    def next_fault(self) -> Fault | None:
        """Select the fault for the next request (called once per provider request)."""
        with self._lock:
            while self._queue:
                head = self._queue[0]
                if head.remaining is not None and head.remaining <= 0:
                    self._queue.popleft()
                    continue
                if not self._take(head):
                    return None
                if head.remaining is not None and head.remaining <= 0:
                    self._queue.popleft()
                return head.fault
            if self._chaos is not None:
                picked = self._chaos.pick()
                if picked is not None:
                    return picked
            if self._default is not None and self._take(self._default):
                fault = self._default.fault
                if self._default.remaining is not None and self._default.remaining <= 0:
                    self._default = None
                return fault
            return None

    def _take(self, entry: _Queued) -> bool:
        """Roll the entry's probability and, when it applies, count one use."""
        if entry.remaining is not None and entry.remaining <= 0:
            return False
        if entry.fault.probability < 1.0 and self._rng.random() >= entry.fault.probability:
            return False
        if entry.remaining is not None:
            entry.remaining -= 1
        return True

    def load(self, payload: Mapping[str, Any]) -> None:
        """Apply a control-API payload.

        Accepted shapes: a fault dict (queued); ``{"faults": [...]}`` (queued in order);
        ``{"default": {...} | null}``; ``{"chaos": {"seed": int, "mix": [[p, {...}], ...]}}``.
        Keys may be combined in one payload.
        """
        keys = set(payload)
        if not keys & {"faults", "default", "chaos"}:
            self.push(Fault.from_dict(payload))
            return
        # Build everything first, so an invalid part applies nothing.
        queued = [Fault.from_dict(item) for item in payload.get("faults", [])]
        raw_default = payload.get("default")
        default = None if raw_default is None else Fault.from_dict(raw_default)
        chaos: tuple[int, list[tuple[float, Fault]] | None] | None = None
        if "chaos" in payload:
            spec = payload["chaos"]
            mix_raw = spec.get("mix")
            mix = (
                None
                if mix_raw is None
                else [(float(weight), Fault.from_dict(item)) for weight, item in mix_raw]
            )
            seed = int(spec.get("seed", 0))
            _Chaos(seed, list(DEFAULT_CHAOS_MIX if mix is None else mix))  # checks the weights now
            chaos = (seed, mix)
        self.push(*queued)
        if "default" in payload:
            self.set_default(default)
        if chaos is not None:
            self.chaos(*chaos)

    def describe(self) -> dict[str, Any]:
        """Snapshot for ``GET /_emulator/faults``."""
        with self._lock:
            return {
                "queue": [
                    {"fault": q.fault.to_dict(), "remaining": q.remaining} for q in self._queue
                ],
                "default": None if self._default is None else self._default.fault.to_dict(),
                "chaos": None
                if self._chaos is None
                else {
                    "seed": self._chaos.seed,
                    "mix": [[w, f.to_dict()] for w, f in self._chaos.mix],
                },
            }
