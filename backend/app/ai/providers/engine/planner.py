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

Admission is lazy: a provider's circuit (`admit`) is asked only when the plan reaches
that provider for the first time, so a call never spends a half-open probe slot on a
provider it does not try. A provider refused there is kept as a *last resort*: it gets
its first try after every admitted provider had one, soonest to recover first
(`recovers_at`), so that a call whose circuits are all open still tries rather than
failing blind.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.ai.providers.adapters.base import Member
from app.ai.providers.policies.backoff import backoff_delay
from app.ai.providers.policies.classification import Classification, ErrorClass
from app.ai.providers.policies.deadline import Deadline


@dataclass(slots=True)
class _State:
    member: Member
    tries: int = 0
    out: bool = False
    retry_after: float | None = None
    admitted: bool = False
    last_resort: bool = False
    blip_retried: bool = False


#: Transient reasons that are not blips: a provider that timed out (or answered nothing
#: in time) is slow right now, and waiting on it again is what failover avoids.
NOT_BLIPS = frozenset({"timeout", "deadline", "first_token_timeout", "stream_idle"})


def _admit_all(member: Member) -> str | None:
    return None


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
        admit: Callable[[Member], str | None] = _admit_all,
        recovers_at: Callable[[Member], float | None] = lambda member: None,
        on_last_resort: Callable[[Sequence[Member], bool], None] = lambda members, first: None,
        failover_on_content_filter: bool = False,
        retry_wait_max: float = 0.0,
        healthy: Callable[[Member], bool] = lambda member: False,
    ) -> None:
        self._stopped = False
        self._failover_on_content_filter = failover_on_content_filter
        self._retry_wait_max = retry_wait_max
        self._healthy = healthy
        self._blip: tuple[_State, float] | None = None
        self._states = [_State(m) for m in members]
        self._deferred: list[_State] = []
        self._admit = admit
        self._recovers_at = recovers_at
        self._on_last_resort = on_last_resort
        self._max_retries = max_retries
        self._deadline = deadline
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng
        self._no_retries = False
        self._last: _State | None = None

    def next(self) -> tuple[Member, float] | None:
        """The next attempt, or None when the call has nothing left to try."""
        if self._deadline.expired or self._stopped:
            return None
        if self._blip is not None:
            (blipped, pause), self._blip = self._blip, None
            if pause < self._deadline.remaining:
                return self._take(blipped, pause)
        fresh = self._fresh()
        if fresh is not None:
            return self._take(fresh, 0.0)
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

    def _fresh(self) -> _State | None:
        """The next provider to get its first try, asking admission on the way."""
        while True:
            state = next((s for s in self._states if not s.out and s.tries == 0), None)
            if state is None:
                if not self._deferred:
                    return None
                self._release_last_resorts()
                continue
            if state.admitted:
                return state
            if self._admit(state.member) is None:
                state.admitted = True
                return state
            self._states.remove(state)
            state.admitted = state.last_resort = True
            self._deferred.append(state)

    def _release_last_resorts(self) -> None:
        """Every admitted provider had its try: the refused ones follow, soonest to recover first."""
        deferred, self._deferred = self._deferred, []
        deferred.sort(key=lambda s: self._recovers_at(s.member) or 0.0)
        first = not any(s.tries for s in self._states)
        self._states.extend(deferred)
        self._on_last_resort([s.member for s in deferred], first)

    def is_last_resort(self, member: Member) -> bool:
        """True for a provider refused by its circuit and tried anyway, as a last resort."""
        return any(s.member is member and s.last_resort for s in (*self._states, *self._deferred))

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
