"""Circuit state in Redis, shared by every worker and replica, with an in-process fallback.

The Redis store uses Redis's own primitives rather than a protocol of our own:
* the *open* state is a key with an expiry (`PX` = the cooldown): when Redis expires
  it, the circuit is half-open -- no timer, no clean-up job;
* a *tripped* marker: not recovered yet; a *cooldown* key: the re-open schedule
  (`state_store.next_cooldown`);
* granted half-open probes are counted with `INCR` on an expiring key (`DECR` gives back
  the slot of a probe that ended without a verdict);
* the sliding window is a hash of per-bucket counters, summed and pruned in Lua.
Each decision is one Lua script (one round-trip): `admit` before a call, `record`
after an attempt. Time comes from Redis (`TIME`), so replicas with skewed clocks agree.

`FallbackStore` wraps the Redis store: when Redis cannot be reached it logs ONE
warning and serves from the in-process store, trying Redis again every few seconds;
a request never fails because of the state store.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from app.ai.providers.policies.state_store import (
    CLOSED,
    HALF_OPEN_BUSY,
    OPEN,
    TRIPPED_TTL_SECONDS,
    WINDOW_BUCKETS,
    Admission,
    CircuitPolicy,
    CircuitView,
    MemoryStore,
    Outcome,
    StateStore,
)

logger = logging.getLogger("app.ai.providers")

#: Seconds between attempts to reach Redis again after it failed.
REDIS_RETRY_SECONDS = 5.0

# KEYS: open, tripped, probes. ARGV: max probes, probe ttl ms.
# Returns {state, open value or ""}; open value is "until_ms|reason".
_ADMIT = """
local v = redis.call('GET', KEYS[1])
if v then return {'open', v} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'closed', ''} end
local reason = redis.call('GET', KEYS[2]) or ''
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[1]) then
  return {'half_open_busy', reason}
end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
return {'probe', reason}
"""

# KEYS: probes. A probe slot given back (its call ended without a verdict); never below 0.
_RELEASE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
"""

# KEYS: open, tripped, probes, window, cooldown ("schedule ms|run opened ms", see next_cooldown).
# ARGV: ok, trip_now, bucket ms, buckets, min failures, ratio, cooldown ms, reason, tripped ttl ms,
#       escalate, max cooldown ms.
_RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == '1' then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
    return 'closed'
  end
end
if ARGV[1] == '0' and redis.call('EXISTS', KEYS[1]) == 1 then return 'open' end
local size = tonumber(ARGV[3])
local current = math.floor(now / size)
local oldest = current - tonumber(ARGV[4]) + 1
local fails, calls = 0, 0
local fields = redis.call('HGETALL', KEYS[4])
for i = 1, #fields, 2 do
  local name = fields[i]
  local bucket = tonumber(string.sub(name, 2))
  if bucket < oldest then
    redis.call('HDEL', KEYS[4], name)
  elseif string.sub(name, 1, 1) == 'f' then
    fails = fails + tonumber(fields[i + 1])
  else
    calls = calls + tonumber(fields[i + 1])
  end
end
redis.call('HINCRBY', KEYS[4], 'n' .. current, 1)
calls = calls + 1
if ARGV[1] == '1' then
  redis.call('PEXPIRE', KEYS[4], size * tonumber(ARGV[4]))
  return 'closed'
end
redis.call('HINCRBY', KEYS[4], 'f' .. current, 1)
redis.call('PEXPIRE', KEYS[4], size * tonumber(ARGV[4]))
fails = fails + 1
local half_open = redis.call('EXISTS', KEYS[2]) == 1
local trip = ARGV[2] == '1' or half_open
if not trip and fails >= tonumber(ARGV[5]) and fails >= tonumber(ARGV[6]) * calls then trip = true end
if not trip then return 'closed' end
local cooldown = tonumber(ARGV[7])
local schedule, opened = cooldown, now
if half_open and ARGV[10] == '1' then
  local last = redis.call('GET', KEYS[5]) or ''
  local sep = string.find(last, '|', 1, true)
  if sep then
    local previous = tonumber(string.sub(last, 1, sep - 1))
    opened = tonumber(string.sub(last, sep + 1))
    schedule = previous * 2
    cooldown = math.min(math.max(opened + schedule - now, cooldown), tonumber(ARGV[11]))
  end
end
redis.call('SET', KEYS[5], schedule .. '|' .. opened, 'PX', ARGV[9])
redis.call('SET', KEYS[1], (now + cooldown) .. '|' .. ARGV[8], 'PX', cooldown)
redis.call('SET', KEYS[2], ARGV[8], 'PX', ARGV[9])
redis.call('DEL', KEYS[3], KEYS[4])
return 'open'
"""


class RedisStore:
    """Circuit state in Redis, shared by every worker and replica (see module docstring)."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "tandem:ai", timeout: float = 0.25) -> None:
        import redis  # imported here: the in-process default does not need it

        self._client: Any = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, decode_responses=True
        )
        self._prefix = prefix
        self._admit = self._client.register_script(_ADMIT)
        self._record = self._client.register_script(_RECORD)
        self._release = self._client.register_script(_RELEASE)

    def _keys(self, provider: str) -> list[str]:
        base = f"{self._prefix}:circuit:{provider}"
        return [f"{base}:{key}" for key in ("open", "tripped", "probes", "window", "cooldown")]

    def admit(self, provider: str, policy: CircuitPolicy) -> Admission:
        keys = self._keys(provider)[:3]
        state, value = self._admit(
            keys=keys, args=[policy.half_open_probes, int(policy.probe_ttl_seconds * 1000)]
        )
        if state == OPEN:
            until, _, reason = str(value).partition("|")
            return Admission(OPEN, int(until) / 1000.0, reason)
        if state == HALF_OPEN_BUSY:
            return Admission(HALF_OPEN_BUSY, time.time(), value or None)
        return Admission(str(state), None, value or None)

    def record(self, provider: str, outcome: Outcome, policy: CircuitPolicy) -> str:
        bucket_ms = max(1, int(policy.window_seconds * 1000 / WINDOW_BUCKETS))
        args: list[str | int | float] = [
            int(outcome.ok), int(outcome.trip_now), bucket_ms, WINDOW_BUCKETS,
            policy.min_failures, policy.failure_ratio, max(1, int(outcome.cooldown * 1000)),
            outcome.reason, int((outcome.max_cooldown + TRIPPED_TTL_SECONDS) * 1000),
            int(outcome.escalate), max(1, int(outcome.max_cooldown * 1000)),
        ]
        return str(self._record(keys=self._keys(provider), args=args))

    def release_probe(self, provider: str) -> None:
        self._release(keys=self._keys(provider)[2:3])

    def view(self, provider: str, policy: CircuitPolicy) -> CircuitView:
        open_key, tripped_key, _, window_key, _ = self._keys(provider)
        pipe = self._client.pipeline(transaction=False)
        pipe.get(open_key).get(tripped_key).hgetall(window_key)
        open_value, tripped, window = pipe.execute()
        bucket_ms = policy.window_seconds * 1000 / WINDOW_BUCKETS
        oldest = int(time.time() * 1000 / bucket_ms) - WINDOW_BUCKETS + 1
        live = {k: int(v) for k, v in window.items() if int(k[1:]) >= oldest}
        failures = sum(v for k, v in live.items() if k.startswith("f"))
        calls = sum(v for k, v in live.items() if k.startswith("n"))
        if open_value:
            until, _, reason = open_value.partition("|")
            return CircuitView(OPEN, int(until) / 1000.0, reason, failures, calls)
        state = "half_open" if tripped is not None else CLOSED
        return CircuitView(state, None, tripped or None, failures, calls)

    def reset(self, provider: str) -> None:
        self._client.delete(*self._keys(provider))

    def ping(self) -> None:
        self._client.ping()


class FallbackStore:
    """Redis when it answers, the in-process store when it does not (one warning)."""

    def __init__(
        self,
        primary: RedisStore,
        fallback: MemoryStore | None = None,
        *,
        retry_seconds: float = REDIS_RETRY_SECONDS,
    ) -> None:
        self._primary = primary
        self._fallback = fallback or MemoryStore()
        self._retry_seconds = retry_seconds
        self._down_until = 0.0
        self._warned = False

    @property
    def backend(self) -> str:
        return self._fallback.backend if self._down() else self._primary.backend

    def _down(self) -> bool:
        return time.monotonic() < self._down_until

    def _use(self, method: str, *args: Any) -> Any:
        if not self._down():
            try:
                return getattr(self._primary, method)(*args)
            except Exception as error:  # any Redis trouble: serve the call anyway
                self._down_until = time.monotonic() + self._retry_seconds
                if not self._warned:
                    self._warned = True
                    logger.warning(
                        "AI state store: Redis unreachable (%s); using in-process circuit state "
                        "until it answers again",
                        type(error).__name__,
                    )
        return getattr(self._fallback, method)(*args)

    def admit(self, provider: str, policy: CircuitPolicy) -> Admission:
        result: Admission = self._use("admit", provider, policy)
        return result

    def record(self, provider: str, outcome: Outcome, policy: CircuitPolicy) -> str:
        result: str = self._use("record", provider, outcome, policy)
        return result

    def release_probe(self, provider: str) -> None:
        self._use("release_probe", provider)

    def view(self, provider: str, policy: CircuitPolicy) -> CircuitView:
        result: CircuitView = self._use("view", provider, policy)
        return result

    def reset(self, provider: str) -> None:
        self._use("reset", provider)


def build_store(redis_url: str | None, prefix: str = "tandem:ai") -> StateStore:
    """The in-process store, or Redis (with in-process fallback) when a URL is given."""
    if not redis_url:
        return MemoryStore()
    return FallbackStore(RedisStore(redis_url, prefix))
