"""Where per-client call counts live: in this process, or in Redis shared by every worker.

Both stores implement the same two primitives with the same semantics, so switching
`RATE_LIMIT_REDIS_URL` on changes where the numbers are kept, never what they mean:

* `hit`: a sliding one-window log of call times (exact, no boundary bursts as with
  fixed windows); answers how long to wait when the window is full.
* `acquire`/`release`: leases counting calls in flight. A lease expires after
  `lease_seconds`, so a worker killed mid-call cannot hold a client's slot forever.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from typing import Any, Protocol


class LimitStore(Protocol):
    """Storage of rate-limit windows and concurrency leases, keyed by client id."""

    def hit(self, client: str, limit: int, window: float, now: float) -> float | None:
        """Record one call; None when allowed, else seconds until a call would be."""
        ...

    def acquire(self, client: str, cap: int, lease_seconds: float, now: float) -> str | None:
        """A lease token when fewer than `cap` calls are in flight, else None."""
        ...

    def release(self, client: str, token: str) -> None:
        """End the lease `token` (unknown or expired tokens are ignored)."""
        ...


class MemoryLimitStore:
    """Per-process store (one worker, or tests); bounded by the number of active clients."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._leases: dict[str, dict[str, float]] = {}

    def hit(self, client: str, limit: int, window: float, now: float) -> float | None:
        with self._lock:
            calls = self._calls.setdefault(client, deque())
            while calls and calls[0] <= now - window:
                calls.popleft()
            if len(calls) >= limit:
                return calls[0] + window - now
            calls.append(now)
            return None

    def acquire(self, client: str, cap: int, lease_seconds: float, now: float) -> str | None:
        with self._lock:
            leases = self._leases.setdefault(client, {})
            for token in [t for t, started in leases.items() if started <= now - lease_seconds]:
                del leases[token]
            if len(leases) >= cap:
                return None
            token = uuid.uuid4().hex
            leases[token] = now
            return token

    def release(self, client: str, token: str) -> None:
        with self._lock:
            leases = self._leases.get(client)
            if leases is not None:
                leases.pop(token, None)
                if not leases:
                    del self._leases[client]


# Both scripts first drop entries older than the window / lease, then count: one
# round trip, atomic across workers.
_HIT_SCRIPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
  return '-1'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""

_ACQUIRE_SCRIPT = """
local now, lease, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - lease)
if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(lease) + 1)
  return 1
end
return 0
"""


class RedisLimitStore:
    """Store shared by every worker: sorted sets under `<prefix>rate:` and `<prefix>inflight:`."""

    def __init__(self, url: str, prefix: str, timeout: float = 0.25) -> None:
        import redis

        self.prefix = prefix
        self._client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._hit: Any = self._client.register_script(_HIT_SCRIPT)
        self._acquire: Any = self._client.register_script(_ACQUIRE_SCRIPT)

    def hit(self, client: str, limit: int, window: float, now: float) -> float | None:
        member = f"{now}:{uuid.uuid4().hex}"
        wait = float(self._hit(keys=[f"{self.prefix}rate:{client}"], args=[now, window, limit, member]))
        return None if wait < 0 else wait

    def acquire(self, client: str, cap: int, lease_seconds: float, now: float) -> str | None:
        token = uuid.uuid4().hex
        key = f"{self.prefix}inflight:{client}"
        granted = self._acquire(keys=[key], args=[now, lease_seconds, cap, token])
        return token if int(granted) == 1 else None

    def release(self, client: str, token: str) -> None:
        self._client.zrem(f"{self.prefix}inflight:{client}", token)
