"""Book-keeping for one call, so the engine's loops stay short.

A `CallState` owns the deadline, the attempt plan (`planner.py`), and the record of
every attempt; it classifies failures, feeds provider health, writes the one log line
per call, and builds either the answer's metadata or the final `ProviderError`. It
reads only the frozen `CallPolicy` and the members, never the chat model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine.attempt import AttemptScope
from app.ai.providers.engine.call_log import report_call
from app.ai.providers.engine.planner import AttemptPlanner
from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.engine.stream_guard import StreamGuard
from app.ai.providers.errors import (
    FirstTokenTimeoutError,
    NoProviderAvailableError,
    ProviderError,
    ProviderNotConfiguredError,
    StreamIdleTimeoutError,
    StreamInterruptedError,
    describe,
)
from app.ai.providers.policies.classification import Classification, ErrorClass, classify
from app.ai.providers.policies.deadline import Deadline
from app.ai.providers.policies.endings import is_truncated
from app.ai.providers.policies.health import tolerates_blip
from app.ai.providers.policies.pricing import token_counts
from app.ai.providers.policies.routing import CallContext
from app.ai.providers.records import Attempt

#: Keys a provider binding may carry that are for tracing, not for the provider's API.
_TRACING_ONLY = ("ls_structured_output_format",)
_LAST_RESORT = "; kept as last resort"
#: Outcome of an attempt whose prefill the model refused (400): kept out of the caller's error.
PREFILL_REFUSED = "prefill_refused"


class CallState:
    """State of one call across its attempts."""

    def __init__(
        self,
        policy: CallPolicy,
        members: Sequence[Member],
        messages: Sequence[BaseMessage],
        metadata: Mapping[str, Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        *,
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.policy = policy
        self.members = members
        self.metadata = dict(metadata or {})
        self.kwargs = dict(kwargs or {})
        self.model_override = _model_override(self.kwargs, members)
        self.defaults = {k: v for k, v in (defaults or {}).items() if v is not None}
        self.deadline = Deadline(policy.deadline, policy.timeout)
        self.attempts: list[Attempt] = []
        self.errors: list[BaseException] = []
        self.skipped: list[dict[str, str]] = []
        #: Providers whose half-open probe slot this call holds until an attempt reports.
        self._probes: dict[str, Callable[[str], None]] = {}
        context = CallContext(messages, self.metadata, members)
        ordered = policy.strategy.order(members, context)
        if self.model_override is not None:
            # `model=` names a provider's model: that provider goes first; the others stay
            # behind it as failover with their own models (the answer says which served).
            override = self.model_override
            ordered = sorted(ordered, key=lambda m: not m.serves_model(override))
        self.arm = ordered[0].name if ordered else None
        admitted = []
        for member in ordered:
            reason = next((r for gate in policy.gates if (r := gate.skip_reason(member, context))), None)
            if reason is None:
                admitted.append(member)
            else:
                self.skipped.append({"provider": member.name, "reason": reason})
        recovers_at = getattr(policy.health, "recovers_at", None)
        self.planner = AttemptPlanner(
            admitted,
            max_retries=policy.max_retries,
            deadline=self.deadline,
            backoff_base=policy.backoff_base,
            backoff_cap=policy.backoff_cap,
            admit=self._admit,
            recovers_at=(lambda m: recovers_at(m.name)) if recovers_at else (lambda m: None),
            on_last_resort=self._kept_as_last_resort,
            failover_on_content_filter=policy.failover_on_content_filter,
            retry_wait_max=policy.retry_wait_max,
            healthy=lambda member: tolerates_blip(policy.health, member.name),
        )
        self._pending: tuple[Member, float] | None = None
        #: A cut stream may still be continued: its "interrupted" is logged only if not.
        self.resume = policy.stream_resume == "auto"

    # -- the plan ---------------------------------------------------------------

    def _admit(self, member: Member) -> str | None:
        """The circuit's decision, asked only when the plan reaches `member`."""
        health = self.policy.health
        admission = getattr(health, "admission", None)
        if admission is None:
            reason = health.skip_reason(member.name)
        else:
            reason, probe = admission(member.name)
            if probe:
                self._probes[member.name] = health.release_probe  # type: ignore[attr-defined]
        if reason is not None:
            self.skipped.append({"provider": member.name, "reason": reason + _LAST_RESORT})
        return reason

    def _kept_as_last_resort(self, members: Sequence[Member], first: bool) -> None:
        """Nothing else was tried: the soonest to recover is tried first, not skipped."""
        if first and members:
            self.skipped = [s for s in self.skipped if s["provider"] != members[0].name]

    def next_attempt(self) -> tuple[Member, float] | None:
        """(member, seconds to wait first) for the next attempt, or None."""
        step: tuple[Member, float] | None
        if self._pending is not None:
            step, self._pending = self._pending, None
        else:
            step = self.planner.next()
        if step is not None:
            # Structured output binds when a call first reaches the member; a binding error
            # is the caller's (a schema the provider cannot take), not a provider failure.
            step[0].bind_pending()
        return step

    def put_back(self, step: tuple[Member, float]) -> None:
        """Return a step the engine could not use now (a hedge not started); it comes next."""
        self._pending = step

    def hedge_delay(self, member: Member) -> float | None:
        """Seconds after which the call's *first* attempt is hedged; None for plain failover."""
        if self.attempts or not self.policy.hedge.enabled:
            return None
        return self.policy.hedge.delay_for(member.name)

    def can_hedge_to(self, step: tuple[Member, float]) -> bool:
        """Hedge only to a provider that is ready now and not a last resort."""
        member, pause = step
        return pause <= 0 and not self.planner.is_last_resort(member)

    def attempt(self, member: Member, guard: StreamGuard | None = None) -> AttemptScope:
        return AttemptScope(self, member, guard)

    def call_kwargs(self, member: Member, scope: AttemptScope) -> dict[str, Any]:
        """Kwargs for the inner model: its bindings, the caller's, our limits."""
        merged = {**member.kwargs, **self.kwargs}
        if self.model_override is not None and member.serves_model(self.model_override):
            merged["model"] = self.model_override
        for key in _TRACING_ONLY:
            merged.pop(key, None)
        for key, value in self.defaults.items():
            merged.setdefault(key, value)
        limit = member.adapter.output_limit_kwarg
        if limit != "max_tokens" and "max_tokens" in merged:  # the caller's limit, in its words
            merged.setdefault(limit, merged.pop("max_tokens"))
        if self.policy.max_output_tokens is not None:  # every request carries an explicit limit
            merged.setdefault(limit, self.policy.max_output_tokens)
        merged["timeout"] = scope.timeout
        return merged

    def chunk_wait(self, scope: AttemptScope) -> float:
        """Seconds to wait for the next chunk of a stream: the first-token bound before
        content, the idle bound after it, never past the attempt's time limit."""
        guard = scope.guard
        sent = guard is not None and guard.sent_content
        bound = self.policy.stream_idle_timeout if sent else self.policy.first_token_timeout
        return max(0.0, min(bound, scope.remaining))

    def wait_error(self, scope: AttemptScope) -> Exception:
        """The error for a chunk that did not come within `chunk_wait`."""
        if scope.expired:
            return TimeoutError("attempt time limit reached during the stream")
        if scope.sent_content:
            return StreamIdleTimeoutError(scope.member.name, self.policy.stream_idle_timeout)
        return FirstTokenTimeoutError(scope.member.name, self.policy.first_token_timeout)

    # -- recording --------------------------------------------------------------

    def _attempt(self, scope: AttemptScope, outcome: str, **fields: Any) -> Attempt:
        member = scope.member
        attempt = Attempt(
            member.name, self.model_for(member), outcome, round(scope.elapsed_ms(), 3), **fields
        )
        self.attempts.append(attempt)
        verdict = outcome not in (ErrorClass.CANCELLED.value, PREFILL_REFUSED)
        if verdict:  # a cancelled or refused-prefill attempt says nothing of health
            self.policy.health.record(attempt)
        release = self._probes.pop(member.name, None)
        if release is not None and not verdict:  # the circuit's half-open probe, unanswered
            release(member.name)
        return attempt

    def abandoned(self, scope: AttemptScope, reason: str) -> None:
        """Record an attempt we cancelled ourselves (a hedge that lost): not ill health."""
        self._attempt(scope, ErrorClass.CANCELLED.value, reason=reason)

    def failed(self, scope: AttemptScope, exc: BaseException) -> Classification:
        """Record a failed attempt; the scope re-raises when the verdict is CANCELLED."""
        member = scope.member
        verdict = classify(exc, [member.adapter.classify])
        self._attempt(
            scope,
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

    def prefill_refused(self, scope: AttemptScope, exc: BaseException) -> None:
        """A model answered a prefill with a 400: recorded on the answer, not an error of
        the call (the original failure is what the caller is told about)."""
        self._attempt(scope, PREFILL_REFUSED, reason=PREFILL_REFUSED, status=400, error=describe(exc))

    def succeeded(
        self,
        scope: AttemptScope,
        usage: Mapping[str, Any] | None = None,
        *,
        streamed: bool = False,
        ttft_ms: float | None = None,
        finish_reason: str | None = None,
        resumed: Mapping[str, Any] | None = None,
        extra_cost: float = 0.0,
    ) -> dict[str, Any]:
        """Record the winning attempt; returns the `hybrid` metadata for the answer.

        `resumed` (from, after_chars) when the answer was continued after a cut;
        `extra_cost` is what the earlier attempts of a continued answer cost."""
        member = scope.member
        self._attempt(scope, "ok")
        hedge = self.policy.hedge
        if hedge.enabled:  # adaptive hedging learns each provider's time to first content
            hedge.observe(member.name, ttft_ms if ttft_ms is not None else scope.elapsed_ms())
        meta = self.metadata_for(member)
        meta["finish_reason"] = finish_reason
        meta["truncated"] = is_truncated(finish_reason)
        meta["resumed"] = resumed is not None
        if resumed is not None:
            meta["resumed_from"] = resumed["from"]
            meta["resumed_after_chars"] = resumed["after_chars"]
        cost = self.cost_of(member, usage)
        if cost is not None or extra_cost:
            cost = (cost or 0.0) + extra_cost
        meta["cost_usd"] = round(cost, 8) if cost is not None else None
        meta["usage"] = token_counts(usage)
        self._log("ok", meta, usage=usage, streamed=streamed, ttft_ms=ttft_ms)
        return meta

    def model_for(self, member: Member) -> str:
        """The model `member` runs for this call: the `model=` override when it serves it."""
        override = self.model_override
        return override if override is not None and member.serves_model(override) else member.model_name

    def cost_of(self, member: Member, usage: Mapping[str, Any] | None) -> float | None:
        """USD cost of `usage` on `member`'s model at list prices (None: unpriced)."""
        prices = self.policy.prices
        cost = prices.cost_of(self.model_for(member), usage) if prices is not None else None
        return float(round(cost, 8)) if cost is not None else None

    def failover_reason(self, member: Member) -> str | None:
        """Why the answer did not come from the first provider of the routing order:
        `circuit_open` / the gate's reason when it was skipped, else its failure."""
        if self.arm is None or member.name == self.arm:
            return None
        failed = next((a for a in self.attempts if a.provider == self.arm and not a.ok), None)
        if failed is not None:
            return failed.reason or failed.outcome
        skipped = next((s["reason"] for s in self.skipped if s["provider"] == self.arm), None)
        if skipped is not None:
            return "circuit_open" if skipped.startswith("circuit") else skipped.split(" (")[0]
        return None

    def metadata_for(self, member: Member) -> dict[str, Any]:
        return {
            "provider": member.name,
            "model": self.model_for(member),
            # Against the routing order, not the attempts: a primary skipped for an open
            # circuit is a failover too (issue 11).
            "failover": self.arm is not None and member.name != self.arm,
            "failover_reason": self.failover_reason(member),
            "strategy": self.policy.strategy.name,
            "arm": self.arm,
            "attempts": [a.as_dict() for a in self.attempts],
            "skipped": list(self.skipped),
            "latency_ms": round(self.deadline.elapsed_ms(), 3),
        }

    def exhausted(self) -> ProviderError:
        """The error for a call on which every provider failed (or none could be tried)."""
        if not self.attempts and not self.members:
            cause = ProviderNotConfiguredError(self.policy.missing_settings or ["an API key"])
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
                message += f" (deadline of {self.policy.deadline:g}s reached)"
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
        report_call(self, outcome, meta or {}, usage=usage, streamed=streamed, ttft_ms=ttft_ms)


def _model_override(kwargs: dict[str, Any], members: Sequence[Member]) -> str | None:
    """Take a call's `model=` override out of `kwargs`; an error when no provider serves it.

    Sending a model to a provider that does not have it only buys a 404 (and, worse, a
    provider marked unhealthy for the caller's typo), so it goes nowhere it does not fit.
    """
    override = kwargs.pop("model", None)
    if override is None:
        return None
    if not isinstance(override, str) or not override:
        raise ValueError(f"model override must be a model name, got {override!r}")
    if members and not any(m.serves_model(override) for m in members):
        served = ", ".join(f"{m.name}: {m.model_name}" for m in members)
        raise ValueError(f"model {override!r} is not served by any provider of this call ({served})")
    return override
