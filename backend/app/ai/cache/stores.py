"""Where cached answers live: Redis when configured (shared by every worker), else the
database (`ai_response_cache`), so a single-process deployment needs nothing extra.

Both stores bound their size: entries expire after the TTL, and past `max_entries` the
oldest are evicted on write. Both are synchronous (the routes call them through a
worker thread) because the drivers the rest of the service uses are.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.models.quality import ResponseCacheEntry

_TABLE: Any = ResponseCacheEntry.__table__  # type: ignore[attr-defined]


class CacheStore(Protocol):
    name: str

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, feature: str, value: str, ttl: float) -> None: ...

    def count(self) -> int: ...


class RedisStore:
    """`SET key value EX ttl`, plus a sorted set of keys by write time for eviction."""

    name = "redis"

    def __init__(self, url: str, prefix: str, max_entries: int, timeout: float = 0.5) -> None:
        import redis  # imported here: the database store does not need it

        self._client: Any = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix
        self.max_entries = max_entries
        self._index = f"{prefix}:index"

    def get(self, key: str) -> str | None:
        value = self._client.get(f"{self.prefix}:{key}")
        return value.decode("utf-8") if value is not None else None

    def put(self, key: str, feature: str, value: str, ttl: float) -> None:
        now = time.time()
        pipe = self._client.pipeline()
        pipe.set(f"{self.prefix}:{key}", value, px=int(ttl * 1000))
        pipe.zadd(self._index, {key: now})
        pipe.zremrangebyscore(self._index, "-inf", now - ttl)  # expired ones left the index too
        pipe.zcard(self._index)
        size = pipe.execute()[-1]
        excess = int(size) - self.max_entries
        if excess > 0:
            oldest = [k.decode("utf-8") for k, _ in self._client.zpopmin(self._index, excess)]
            if oldest:
                self._client.delete(*(f"{self.prefix}:{k}" for k in oldest))

    def count(self) -> int:
        return int(self._client.zcard(self._index))

    def clear(self) -> None:
        keys = [k.decode("utf-8") for k in self._client.zrange(self._index, 0, -1)]
        if keys:
            self._client.delete(*(f"{self.prefix}:{k}" for k in keys))
        self._client.delete(self._index)


class DatabaseStore:
    """Rows of `ai_response_cache`; expired and excess rows are deleted on write."""

    name = "database"

    def __init__(self, engine: Engine, max_entries: int) -> None:
        self.engine = engine
        self.max_entries = max_entries

    def get(self, key: str) -> str | None:
        now = datetime.now(UTC)
        with self.engine.connect() as connection:
            value = connection.execute(
                sa.select(_TABLE.c.value).where(_TABLE.c.key == key, _TABLE.c.expires_at > now)
            ).scalar()
        return str(value) if value is not None else None

    def put(self, key: str, feature: str, value: str, ttl: float) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(sa.delete(_TABLE).where(_TABLE.c.key == key))
            connection.execute(
                sa.insert(_TABLE).values(
                    key=key, feature=feature, value=value, created_at=now,
                    expires_at=now + timedelta(seconds=ttl),
                )
            )
            connection.execute(sa.delete(_TABLE).where(_TABLE.c.expires_at <= now))
            size = connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar() or 0
            excess = int(size) - self.max_entries
            if excess > 0:
                oldest = (
                    sa.select(_TABLE.c.key).order_by(_TABLE.c.created_at, _TABLE.c.key).limit(excess)
                ).scalar_subquery()
                connection.execute(sa.delete(_TABLE).where(_TABLE.c.key.in_(oldest)))

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(_TABLE)).scalar() or 0)
