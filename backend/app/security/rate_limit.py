"""Per-client rate limits and concurrency caps on the AI endpoints (the ones that spend money).

`limit_ai_calls` is a router-level dependency after `authenticate`: for routes the
policy marks as AI calls it checks the client's calls per minute
(`AI_RATE_LIMIT_PER_MINUTE`) and calls in flight (`AI_MAX_CONCURRENT_PER_CLIENT`),
answering 429 with `Retry-After` and a JSON body when either is exhausted. The
in-flight slot is held until the response (streams included) is finished.

State lives in Redis when `RATE_LIMIT_REDIS_URL` (or `AI_STATE_REDIS_URL`) is set, so
the limits hold across workers; in-process otherwise. When Redis is unreachable the
limiter falls back to this process's counters rather than failing calls: a Redis
outage must not take the product down, and the per-process limit still bounds spend.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

from app.core.config import Settings
from app.security.auth import LOCAL_DEV, Principal
from app.security.limit_store import LimitStore, MemoryLimitStore, RedisLimitStore
from app.security.policy import api_path, is_ai_route

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
#: Extra seconds past the call deadline before a dead worker's in-flight slot expires.
LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Lease:
    """One call in flight, released when the response is done."""

    client: str
    token: str
    store: LimitStore


class ClientLimiter:
    """Rate limit and concurrency cap per client over a primary store (with fallback)."""

    def __init__(
        self,
        store: LimitStore,
        per_minute: int,
        max_concurrent: int,
        lease_seconds: float,
        fallback: LimitStore | None = None,
    ) -> None:
        self.store = store
        self.per_minute = per_minute
        self.max_concurrent = max_concurrent
        self.lease_seconds = lease_seconds
        self._fallback = fallback
        self._warned = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientLimiter:
        url = settings.RATE_LIMIT_REDIS_URL or settings.AI_STATE_REDIS_URL
        lease = settings.AI_REQUEST_DEADLINE + LEASE_MARGIN_SECONDS
        per_minute, cap = settings.AI_RATE_LIMIT_PER_MINUTE, settings.AI_MAX_CONCURRENT_PER_CLIENT
        if url:
            store = RedisLimitStore(url, prefix=f"{settings.AI_STATE_KEY_PREFIX}:limits:")
            return cls(store, per_minute, cap, lease, fallback=MemoryLimitStore())
        return cls(MemoryLimitStore(), per_minute, cap, lease)

    def _store_call(self, method: str, *args: Any) -> tuple[Any, LimitStore]:
        try:
            return getattr(self.store, method)(*args), self.store
        except Exception as error:  # redis errors; never let the limiter fail a call
            if self._fallback is None:
                raise
            if not self._warned:
                logger.warning("rate-limit store unavailable (%s): using per-process limits",
                               type(error).__name__)
                self._warned = True
            return getattr(self._fallback, method)(*args), self._fallback

    def check_rate(
        self, client: str, now: float | None = None, per_minute: int | None = None
    ) -> float | None:
        """Count one call; None when allowed, else seconds to wait.

        `per_minute` overrides the service-wide limit for this client (a key's own limit).
        """
        limit = self.per_minute if per_minute is None else per_minute
        if limit <= 0:
            return None
        wait, _ = self._store_call("hit", client, limit, WINDOW_SECONDS, now or time.time())
        return None if wait is None else float(wait)

    def acquire(self, client: str, now: float | None = None, cap: int | None = None) -> Lease | None:
        """A lease when the client is under its concurrency cap (`cap` overrides it), else None."""
        limit = self.max_concurrent if cap is None else cap
        if limit <= 0:
            return Lease(client, "", MemoryLimitStore())
        token, store = self._store_call("acquire", client, limit, self.lease_seconds, now or time.time())
        return None if token is None else Lease(client, str(token), store)

    def release(self, lease: Lease) -> None:
        if not lease.token:
            return
        try:
            lease.store.release(lease.client, lease.token)
        except Exception as error:  # the lease expires by itself
            logger.warning("could not release an in-flight slot (%s)", type(error).__name__)


def limiter_for(request: Request) -> ClientLimiter:
    """The app's limiter, built on first use from the app's settings."""
    limiter: ClientLimiter | None = getattr(request.app.state, "client_limiter", None)
    if limiter is None:
        limiter = ClientLimiter.from_settings(request.app.state.settings)
        request.app.state.client_limiter = limiter
    return limiter


def _too_many(code: str, message: str, retry_after: float) -> HTTPException:
    seconds = max(1, math.ceil(retry_after))
    return HTTPException(
        status_code=429,
        detail={"error": code, "message": message, "retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


def limit_ai_calls(request: Request) -> Iterator[None]:
    """Router-level dependency: the rate limit and concurrency cap of AI routes."""
    settings: Settings = request.app.state.settings
    path = api_path(request.url.path, request.scope.get("root_path", ""), settings.API_V1_STR)
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.client_id == LOCAL_DEV or not is_ai_route(path):
        yield
        return
    limiter = limiter_for(request)
    wait = limiter.check_rate(principal.client_id)
    if wait is not None:
        raise _too_many("rate_limited",
                        f"More than {limiter.per_minute} AI calls in a minute "
                        "(AI_RATE_LIMIT_PER_MINUTE); retry later.", wait)
    lease = limiter.acquire(principal.client_id)
    if lease is None:
        raise _too_many("too_many_concurrent_calls",
                        f"{limiter.max_concurrent} AI calls of this client are already in flight "
                        "(AI_MAX_CONCURRENT_PER_CLIENT).", 1.0)
    try:
        yield
    finally:
        limiter.release(lease)
