"""Virtual keys: the client API keys (issue 7) as the gateway's keys, with their own limits.

A key comes as `Authorization: Bearer <key>` (what the OpenAI SDKs send) or
`x-api-key: <key>` (the Anthropic SDKs). Each key may carry its own allowed routes,
calls per minute, calls in flight and daily budget (`api-key create --routes ...`);
unset fields fall back to the service-wide limits.

Lookups are cached for `GATEWAY_KEY_CACHE_SECONDS` (per app): the key store is a
database, and a gateway in front of every AI call must not add a query to each one.
A revoked key therefore stops working within that many seconds. When the cache runs out
under load, the calls presenting that key wait for one lookup instead of each taking a
worker thread and a database connection (a burst of 64 would otherwise queue on the
connection pool).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.ai.gateway import failures
from app.ai.gateway.failures import Failure
from app.ai.providers.policies.budget import (
    MemorySpendStore,
    RedisSpendStore,
    SpendStore,
    period_end,
    period_key,
)
from app.core.config import Settings
from app.db.engine import get_engine, new_session
from app.security.keys import MAX_PRESENTED_KEY_CHARS
from app.security.rate_limit import ClientLimiter, Lease
from app.security.store import find_active_key

LOCAL_DEV = "local-dev"
_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class VirtualKey:
    """A caller of the gateway and what its key allows."""

    client_id: str
    name: str
    routes: frozenset[str] | None = None
    per_minute: int | None = None
    max_concurrent: int | None = None
    daily_budget_usd: float | None = None

    @property
    def unlimited(self) -> bool:
        return self.client_id == LOCAL_DEV

    def allows(self, route: str) -> bool:
        return self.routes is None or route in self.routes


LOCAL_DEV_KEY = VirtualKey(LOCAL_DEV, "local-dev")


def presented_key(authorization: str | None, api_key: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return api_key.strip() if api_key and api_key.strip() else None


class KeyGate:
    """Authentication, rate limits, concurrency caps and budgets of one app's gateway."""

    def __init__(self, settings: Settings, limiter: ClientLimiter) -> None:
        self.settings = settings
        self.limiter = limiter
        self.ttl = settings.GATEWAY_KEY_CACHE_SECONDS
        self._cache: dict[str, tuple[float, VirtualKey | None]] = {}
        self._pending: dict[tuple[int, str], asyncio.Future[VirtualKey | None]] = {}
        self._lock = threading.Lock()
        self.spend: SpendStore = (
            RedisSpendStore(settings.AI_STATE_REDIS_URL, prefix=f"{settings.AI_STATE_KEY_PREFIX}:gateway:")
            if settings.AI_STATE_REDIS_URL
            else MemorySpendStore()
        )

    async def authenticate(self, authorization: str | None, api_key: str | None) -> VirtualKey:
        """The caller's key, or a Failure (401; 503 when the key store is down) raised."""
        if self.settings.AUTH_MODE == LOCAL_DEV:
            return LOCAL_DEV_KEY
        presented = presented_key(authorization, api_key)
        if not presented:
            raise GatewayRefusal(
                Failure(
                    failures.AUTHENTICATION,
                    401,
                    "An API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
                    "missing_api_key",
                )
            )
        cached = self._cache.get(presented)
        if cached is not None and cached[0] > time.monotonic():
            found = cached[1]
        else:
            found = await self._looked_up(presented)
        if found is None:
            raise GatewayRefusal(
                Failure(failures.AUTHENTICATION, 401, "The API key is unknown or revoked.", "invalid_api_key")
            )
        return found

    async def _looked_up(self, presented: str) -> VirtualKey | None:
        """The key store's answer for `presented`: one lookup at a time per key (and loop)."""
        flight = (id(asyncio.get_running_loop()), presented)
        pending = self._pending.get(flight)
        if pending is None:
            pending = self._pending[flight] = asyncio.ensure_future(self._fetch(presented))
            pending.add_done_callback(lambda _: self._pending.pop(flight, None))
        # Shielded: a caller that goes away does not cancel the others' lookup.
        return await asyncio.shield(pending)

    async def _fetch(self, presented: str) -> VirtualKey | None:
        found = await run_in_threadpool(self._lookup, presented)
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[presented] = (time.monotonic() + self.ttl, found)
        return found

    def _lookup(self, presented: str) -> VirtualKey | None:
        if len(presented) > MAX_PRESENTED_KEY_CHARS:
            return None
        try:
            with new_session(get_engine(self.settings.DATABASE_URL)) as session:
                record = find_active_key(session, presented)
        except SQLAlchemyError:
            raise GatewayRefusal(
                Failure(
                    failures.UNAVAILABLE,
                    503,
                    "The API key store is unavailable; retry later.",
                    "auth_unavailable",
                    retry_after=5,
                )
            ) from None
        if record is None:
            return None
        routes = frozenset(r for r in (record.allowed_routes or "").split(",") if r) or None
        return VirtualKey(
            f"key-{record.id}",
            record.name,
            routes,
            record.rate_limit_per_minute,
            record.max_concurrent,
            record.daily_budget_usd,
        )

    def admit(self, key: VirtualKey) -> Lease | None:
        """Count the call against the key's limits; Failure (429) raised when one is spent."""
        if key.unlimited:
            return None
        wait = self.limiter.check_rate(key.client_id, per_minute=key.per_minute)
        if wait is not None:
            limit = key.per_minute if key.per_minute is not None else self.limiter.per_minute
            raise GatewayRefusal(
                Failure(
                    failures.RATE_LIMITED,
                    429,
                    f"More than {limit} AI calls in a minute for this key; retry later.",
                    "rate_limit_exceeded",
                    retry_after=wait,
                )
            )
        if key.daily_budget_usd is not None:
            now = datetime.now(UTC)
            spent = self.spend.spent(key.client_id, "daily", period_key("daily", now))
            if spent >= key.daily_budget_usd:
                reset = (period_end("daily", now) - now).total_seconds()
                raise GatewayRefusal(
                    Failure(
                        failures.RATE_LIMITED,
                        429,
                        f"This key's daily budget of ${key.daily_budget_usd:g} is "
                        f"spent (${spent:.4f}); it resets at 00:00 UTC.",
                        "insufficient_quota",
                        retry_after=math.ceil(reset),
                        retryable=False,
                    )
                )
        lease = self.limiter.acquire(key.client_id, cap=key.max_concurrent)
        if lease is None:
            cap = key.max_concurrent if key.max_concurrent is not None else self.limiter.max_concurrent
            raise GatewayRefusal(
                Failure(
                    failures.RATE_LIMITED,
                    429,
                    f"{cap} AI calls of this key are already in flight.",
                    "too_many_concurrent_calls",
                    retry_after=1,
                )
            )
        return lease

    def release(self, lease: Lease | None) -> None:
        if lease is not None:
            self.limiter.release(lease)

    def charge(self, key: VirtualKey, cost_usd: float | None) -> None:
        """Add a finished call's cost to the key's daily spend (only keys with a budget)."""
        if key.daily_budget_usd is None or not cost_usd:
            return
        now = datetime.now(UTC)
        self.spend.add(
            key.client_id, "daily", period_key("daily", now), float(cost_usd), period_end("daily", now)
        )


class GatewayRefusal(Exception):
    """A request the gateway answers itself, with `failure` in the caller's wire format."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure
