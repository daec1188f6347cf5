"""Book-keeping for one hybrid call, so the loops in `hybrid.py` stay short.

A `CallState` owns the deadline, the attempt plan, and the record of every attempt;
it classifies failures, feeds provider health, writes the one log line per call,
and builds either the answer's metadata or the final `ProviderError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage

from app.ai.providers.attempts import Attempt
from app.ai.providers.base import Member
from app.ai.providers.classification import Classification, ErrorClass, classify
from app.ai.providers.deadline import Deadline
from app.ai.providers.endings import is_truncated
from app.ai.providers.errors import (
    FirstTokenTimeoutError,
    NoProviderAvailableError,
    ProviderError,
    ProviderNotConfiguredError,
    StreamIdleTimeoutError,
    StreamInterruptedError,
    describe,
)
from app.ai.providers.health import tolerates_blip
from app.ai.providers.observers import CallRecord, notify
from app.ai.providers.planner import AttemptPlanner
from app.ai.providers.pricing import call_cost
from app.ai.providers.routing import CallContext

if TYPE_CHECKING:
    from app.ai.providers.hybrid import HybridChatModel

logger = logging.getLogger("app.ai.providers")

#: Outcome of an attempt whose prefill the model refused (400): kept out of the caller's error.
PREFILL_REFUSED = "prefill_refused"
#: Keys a provider binding may carry that are for tracing, not for the provider's API.
_TRACING_ONLY = ("ls_structured_output_format",)


class CallState:
    """State of one call across its attempts."""

    def __init__(
        self,
        model: HybridChatModel,
        messages: Sequence[BaseMessage],
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        self.model = model
        self.metadata = dict(metadata or {})
        self.kwargs = dict(kwargs)
        self.deadline = Deadline(model.deadline, model.timeout)
        self.attempts: list[Attempt] = []
        self.errors: list[BaseException] = []
        self.skipped: list[dict[str, str]] = []
        context = CallContext(messages, self.metadata, model.members)
        ordered = model.strategy.order(model.members, context)
        self.arm = ordered[0].name if ordered else None
        admitted = []
        circuit_open: list[Member] = []
        for member in ordered:
            circuit = model.health.skip_reason(member.name)
            reason = circuit or next(
                (r for gate in model.gates if (r := gate.skip_reason(member, context))), None
            )
            if reason is None:
                admitted.append(member)
            else:
                self.skipped.append({"provider": member.name, "reason": reason})
                if circuit is not None:
                    circuit_open.append(member)
        self.last_resort: set[str] = set()
        if circuit_open:
            admitted += self._last_resort(circuit_open, context, first=not admitted)
        self.planner = AttemptPlanner(
            admitted,
            max_retries=model.max_retries,
            deadline=self.deadline,
            backoff_base=model.backoff_base,
            backoff_cap=model.backoff_cap,
            failover_on_content_filter=model.failover_on_content_filter,
            retry_wait_max=model.retry_wait_max,
            healthy=lambda member: tolerates_blip(model.health, member.name),
        )
        self._started_at = 0.0
        #: A cut stream may still be continued: its "interrupted" is logged only if not.
        self.resume = model.stream_resume == "auto"

    def _last_resort(self, candidates: list[Member], context: CallContext, *, first: bool) -> list[Member]:
        """Providers skipped for an open circuit, kept behind the admitted ones, soonest to
        recover first: when every other provider failed, or none was admitted, the call
        tries them rather than failing blind (issue 4). Gates still apply to them."""
        recovers_at = getattr(self.model.health, "recovers_at", None)
        eligible = [
            m for m in candidates if not any(g.skip_reason(m, context) for g in self.model.gates)
        ]
        eligible.sort(key=lambda m: (recovers_at(m.name) if recovers_at else None) or 0.0)
        if first and eligible:  # nothing else to try: the soonest to recover goes first
            self.skipped = [s for s in self.skipped if s["provider"] != eligible[0].name]
        for entry in self.skipped:
            if any(m.name == entry["provider"] for m in eligible):
                entry["reason"] += "; kept as last resort"
        self.last_resort = {m.name for m in eligible}
        return eligible

    def next_attempt(self) -> tuple[Member, float] | None:
        return self.planner.next()

    def call_kwargs(self, member: Member) -> dict[str, Any]:
        """Kwargs for the inner model: its bindings, the caller's, our limits."""
        merged = {**member.kwargs, **self.kwargs}
        for key in _TRACING_ONLY:
            merged.pop(key, None)
        if self.model.temperature is not None:
            merged.setdefault("temperature", self.model.temperature)
        limit = member.adapter.output_limit_kwarg
        if limit != "max_tokens" and "max_tokens" in merged:  # the caller's limit, in its words
            merged.setdefault(limit, merged.pop("max_tokens"))
        if self.model.max_tokens is not None:  # every request carries an explicit limit
            merged.setdefault(limit, self.model.max_tokens)
        merged["timeout"] = self.deadline.next_attempt_timeout()
        return merged

    def begin(self, started: float | None = None) -> None:
        """Start the attempt clock; hedged attempts run concurrently, so each passes its own start."""
        self._started_at = time.monotonic() if started is None else started

    def abandoned(self, member: Member, reason: str) -> None:
        """Record an attempt we cancelled ourselves (a hedge that lost): not ill health."""
        self._attempt(member, ErrorClass.CANCELLED.value, reason=reason)

    def _attempt(self, member: Member, outcome: str, **fields: Any) -> Attempt:
        latency = (time.monotonic() - self._started_at) * 1000.0
        attempt = Attempt(member.name, member.model_name, outcome, round(latency, 3), **fields)
        self.attempts.append(attempt)
        if outcome not in (ErrorClass.CANCELLED.value, PREFILL_REFUSED):  # say nothing of health
            self.model.health.record(attempt)
        return attempt

    def failed(self, member: Member, exc: BaseException) -> Classification:
        """Record a failed attempt; the caller re-raises when the verdict is CANCELLED."""
        verdict = classify(exc, [member.adapter.classify])
        self._attempt(
            member,
            verdict.error_class.value,
            reason=verdict.reason,
            status=verdict.status,
            retry_after=verdict.retry_after,
            error=describe(exc),
        )
        if verdict.error_class is ErrorClass.CANCELLED:
            self._log("cancelled", None)
        else:
            self.errors.append(exc)
            self.planner.failed(member, verdict)
        return verdict

    def prefill_refused(self, member: Member, exc: BaseException) -> None:
        """A model answered a prefill with a 400: recorded on the answer, not an error of
        the call (the original failure is what the caller is told about)."""
        self._attempt(member, PREFILL_REFUSED, reason=PREFILL_REFUSED, status=400, error=describe(exc))

    def chunk_wait(self, guard: Any) -> float:
        """Seconds to wait for the next chunk: the first-token bound before content, the
        idle bound after it, never past the deadline."""
        bound = self.model.stream_idle_timeout if guard.sent_content else self.model.first_token_timeout
        return max(0.0, min(bound, self.deadline.remaining))

    def wait_error(self, member: Member, guard: Any) -> Exception:
        """The error for a chunk that did not come within `chunk_wait`."""
        if self.deadline.expired:
            return TimeoutError("call deadline reached during the stream")
        if guard.sent_content:
            return StreamIdleTimeoutError(member.name, self.model.stream_idle_timeout)
        return FirstTokenTimeoutError(member.name, self.model.first_token_timeout)

    def succeeded(
        self,
        member: Member,
        usage: Mapping[str, Any] | None = None,
        *,
        streamed: bool = False,
        ttft_ms: float | None = None,
        finish_reason: str | None = None,
        resumed: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record the winning attempt; returns the `hybrid` metadata for the answer."""
        self._attempt(member, "ok")
        meta = self.metadata_for(member)
        meta["finish_reason"] = finish_reason
        meta["truncated"] = is_truncated(finish_reason)
        meta["resumed"] = resumed is not None
        if resumed is not None:
            meta["resumed_from"] = resumed["from"]
            meta["resumed_after_chars"] = resumed["after_chars"]
        meta["cost_usd"] = call_cost(self.model.observers, member.model_name, usage)
        self._log("ok", meta, usage=usage, streamed=streamed, ttft_ms=ttft_ms)
        return meta

    def failover_reason(self, member: Member) -> str | None:
        """Why the answer did not come from the first provider of the routing order:
        `circuit_open` / the gate's reason when it was skipped, else its failure."""
        if self.arm is None or member.name == self.arm:
            return None
        skipped = next((s["reason"] for s in self.skipped if s["provider"] == self.arm), None)
        if skipped is not None:
            return "circuit_open" if skipped.startswith("circuit") else skipped.split(" (")[0]
        failed = next((a for a in self.attempts if a.provider == self.arm and not a.ok), None)
        return (failed.reason or failed.outcome) if failed is not None else None

    def metadata_for(self, member: Member) -> dict[str, Any]:
        return {
            "provider": member.name,
            "model": member.model_name,
            # Against the routing order, not the attempts: a primary skipped for an open
            # circuit is a failover too (issue 11).
            "failover": self.arm is not None and member.name != self.arm,
            "failover_reason": self.failover_reason(member),
            "strategy": self.model.strategy.name,
            "arm": self.arm,
            "attempts": [a.as_dict() for a in self.attempts],
            "skipped": list(self.skipped),
            "latency_ms": round(self.deadline.elapsed_ms(), 3),
        }

    def exhausted(self) -> ProviderError:
        """The error for a call on which every provider failed (or none could be tried)."""
        if not self.attempts and not self.model.members:
            cause = ProviderNotConfiguredError(self.model.missing_settings or ["an API key"])
            self._log("not_configured", None)
            return ProviderError(str(cause), [cause])
        if not self.attempts:
            why = "; ".join(f"{s['provider']}: {s['reason']}" for s in self.skipped)
            message = "No AI provider could take the call" + (f" ({why})" if why else "")
            if self.deadline.expired:
                message += " before the deadline"
            error = ProviderError(message, [NoProviderAvailableError(message)], self.attempts)
        else:
            tried = "; ".join(a.summary() for a in self.attempts)
            message = f"All AI providers failed: {tried}"
            if self.deadline.expired:
                message += f" (deadline of {self.model.deadline:g}s reached)"
            error = ProviderError(message, self.errors, self.attempts)
        self._log("failed", None)
        return error

    def interrupted(
        self, member: Member, exc: BaseException, usage: Mapping[str, Any] | None = None
    ) -> StreamInterruptedError:
        """The error that ends a stream which failed after sending content (logged here
        unless a continuation may still rescue the answer: `log_interrupted`)."""
        if not self.resume:
            self._log("interrupted", None)
        return StreamInterruptedError(
            f"{member.name} stream failed after content was sent: {describe(exc)}",
            self.attempts,
            exc,
            member,
            usage,  # type: ignore[arg-type]
        )

    def log_interrupted(self) -> None:
        """Nobody could continue the cut stream: the call ends interrupted."""
        self._log("interrupted", None)

    def _log(
        self,
        outcome: str,
        meta: Mapping[str, Any] | None,
        *,
        usage: Mapping[str, Any] | None = None,
        streamed: bool = False,
        ttft_ms: float | None = None,
    ) -> None:
        served = meta or {}
        if self.model.observers:
            notify(
                self.model.observers,
                CallRecord(
                    outcome=outcome,
                    provider=served.get("provider"),
                    model=served.get("model"),
                    failover=bool(served.get("failover", False)),
                    failover_reason=served.get("failover_reason"),
                    strategy=self.model.strategy.name,
                    latency_ms=round(self.deadline.elapsed_ms(), 3),
                    attempts=tuple(self.attempts),
                    skipped=tuple(self.skipped),
                    usage=usage,
                    metadata=self.metadata,
                    streamed=streamed,
                    ttft_ms=ttft_ms,
                    arm=self.arm,
                    cost_usd=served.get("cost_usd"),
                ),
            )
        if not logger.isEnabledFor(logging.INFO):
            return
        logger.info(
            "ai call %s",
            outcome,
            extra={
                "event": "ai_call",
                "outcome": outcome,
                "provider": served.get("provider"),
                "model": served.get("model"),
                "failover": served.get("failover", False),
                "attempts": [a.as_dict() for a in self.attempts],
                "skipped": self.skipped,
                "latency_ms": round(self.deadline.elapsed_ms(), 3),
                **{k: v for k, v in self.metadata.items() if k in ("feature", "request_id")},
            },
        )
