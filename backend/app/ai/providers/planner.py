"""Which provider takes the next attempt of a call, and after what pause.

The policy, in order of preference:
0. a *blip* -- a transient failure (5xx, 529, reset, 429; not a timeout) of a provider
   whose circuit is closed and whose recent failure rate is low -- gets ONE retry on
   the same provider after its backoff or `retry-after`, when that wait is at most
   `retry_wait_max` (`AI_RETRY_WAIT_MAX`) and fits the deadline: the configured
   primary is often the cheaper one, and one blip should not move the call;
1. every provider once, in the routing order: a failure moves the call on at once;
2. only when no untried provider is left, retry the ones whose failures were
   transient, round-robin in routing order, each at most `max_retries` times, after
   an exponential full-jitter backoff (or the provider's `retry-after`);
3. provider-fatal failures (bad key, quota, unknown model) take a provider out of
   the call; a request-fatal failure (the request itself was refused) leaves one try
   on each untried provider -- its translation of the request may be accepted -- and
   rules out every retry;
4. a content-policy refusal ends the call (no retry, no failover) unless
   `failover_on_content_filter` (`AI_FAILOVER_ON_CONTENT_FILTER`) treats it like 3.
Nothing is planned past the deadline.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.ai.providers.backoff import backoff_delay
from app.ai.providers.base import Member
from app.ai.providers.classification import Classification, ErrorClass
from app.ai.providers.deadline import Deadline


@dataclass(slots=True)
class _State:
    member: Member
    tries: int = 0
    out: bool = False
    retry_after: float | None = None
    blip_retried: bool = False


#: Transient reasons that are not blips: a provider that timed out (or answered nothing
#: in time) is slow right now, and waiting on it again is what failover avoids.
NOT_BLIPS = frozenset({"timeout", "deadline", "first_token_timeout", "stream_idle"})


class AttemptPlanner:
    """Stateful plan for one call; `next()` yields (member, seconds to wait) or None."""

    def __init__(
        self,
        members: Sequence[Member],
        *,
        max_retries: int,
        deadline: Deadline,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        rng: random.Random | None = None,
        failover_on_content_filter: bool = False,
        retry_wait_max: float = 0.0,
        healthy: Callable[[Member], bool] = lambda member: False,
    ) -> None:
        self._states = [_State(m) for m in members]
        self._max_retries = max_retries
        self._deadline = deadline
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng
        self._no_retries = False
        self._stopped = False
        self._failover_on_content_filter = failover_on_content_filter
        self._retry_wait_max = retry_wait_max
        self._healthy = healthy
        self._blip: tuple[_State, float] | None = None
        self._last: _State | None = None

    def next(self) -> tuple[Member, float] | None:
        """The next attempt, or None when the call has nothing left to try."""
        if self._deadline.expired or self._stopped:
            return None
        if self._blip is not None:
            (state, delay), self._blip = self._blip, None
            if delay < self._deadline.remaining:
                return self._take(state, delay)
        for state in self._states:
            if not state.out and state.tries == 0:
                return self._take(state, 0.0)
        if self._no_retries:
            return None
        candidates = [s for s in self._states if not s.out and s.tries <= self._max_retries]
        if not candidates:
            return None
        state = min(candidates, key=lambda s: s.tries)  # stable: routing order on ties
        delay = backoff_delay(
            state.tries,
            base=self._backoff_base,
            cap=self._backoff_cap,
            retry_after=state.retry_after,
            rng=self._rng,
        )
        if delay >= self._deadline.remaining:
            # Waiting would spend the whole budget: try sooner only if the provider
            # gave no hint; a provider that asked us to wait that long is not ready.
            if state.retry_after is not None:
                state.out = True
                return self.next()
            delay = self._deadline.remaining / 2
        return self._take(state, delay)

    def _take(self, state: _State, delay: float) -> tuple[Member, float]:
        state.tries += 1
        self._last = state
        return state.member, delay

    def failed(self, member: Member, verdict: Classification) -> None:
        """Record the failure of the attempt `next()` last handed out for `member`."""
        state = next(s for s in self._states if s.member is member)
        state.retry_after = verdict.retry_after
        self._blip = None
        if self._is_blip(state, verdict):
            delay = backoff_delay(
                1, base=self._backoff_base, cap=self._backoff_cap,
                retry_after=verdict.retry_after, rng=self._rng,
            )
            if delay <= self._retry_wait_max and delay < self._deadline.remaining:
                state.blip_retried = True
                self._blip = (state, delay)
        if verdict.error_class is ErrorClass.PROVIDER_FATAL:
            state.out = True
        elif verdict.error_class is ErrorClass.REQUEST_FATAL or (
            verdict.error_class is ErrorClass.CONTENT_FILTER and self._failover_on_content_filter
        ):
            state.out = True
            self._no_retries = True
        elif verdict.error_class is ErrorClass.CONTENT_FILTER:
            self._stopped = True

    def _is_blip(self, state: _State, verdict: Classification) -> bool:
        return (
            self._retry_wait_max > 0
            and verdict.error_class is ErrorClass.TRANSIENT
            and verdict.reason not in NOT_BLIPS
            and not state.blip_retried
            and self._healthy(state.member)
        )

    def cut_after_content(self, member: Member) -> None:
        """The attempt failed after sending content: no blip retry of it (the call
        continues or restarts elsewhere)."""
        self._blip = None
