"""Exact-match cache of model answers whose content depends only on the model's input.

Why exact match: recommendations and matches for the same subject and limit, and Q&A
for the same question over the same documents, are asked again and again (page reloads,
several recruiters on one job); a semantic cache would serve answers to questions
nobody asked. The key (SHA-256) covers everything the answer depends on:

* the feature, a digest of its instructions (a prompt change is a miss) and a digest of
  exactly the messages and answer schema the model would receive, computed after stage
  one (`model_answers.py`): a data write that changes what the model sees is a miss, a
  write elsewhere in the table is not;
* the providers and models that would serve the call, in order, and the strategy, so a
  provider or model change never serves another model's answer.

Never cached: degraded answers, errors, answers the model left incomplete (its
structured output did not parse) or the output limit cut, and answers bigger than the
entry size limit. A store failure is a miss, never an error: the cache must not make
an answer fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.ai.cache.stores import CacheStore, DatabaseStore, RedisStore
from app.core.config import Settings
from app.db.engine import get_engine

logger = logging.getLogger("app.ai.cache")
KEY_VERSION = 2  # 2: keyed by the model input, not by table versions
#: "use" reads and writes; "refresh" skips the read but stores the fresh answer
#: (`Cache-Control: no-cache`, body `"cache": false`); "off" does neither (`no-store`).
CacheMode = Literal["use", "refresh", "off"]


@dataclass(frozen=True)
class CachedAnswer:
    body: dict[str, Any]
    stored_at: float

    @property
    def age_seconds(self) -> int:
        return max(int(time.time() - self.stored_at), 0)


def cache_mode(cache_control: str | None, body_flag: bool | None) -> CacheMode:
    """How this request may use the cache, from its `Cache-Control` header and body flag."""
    directives = {d.strip().lower() for d in (cache_control or "").split(",")}
    if "no-store" in directives:
        return "off"
    if "no-cache" in directives or body_flag is False:
        return "refresh"
    return "use"


class ResponseCache:
    """Keys, policy and counters in front of a `CacheStore`."""

    def __init__(self, store: CacheStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.ttl = float(settings.AI_RESPONSE_CACHE_TTL_SECONDS)
        self.max_entry_bytes = int(settings.AI_RESPONSE_CACHE_MAX_ENTRY_BYTES)
        self.counters = {"hits": 0, "misses": 0, "stored": 0, "not_cacheable": 0, "errors": 0}

    def key(
        self,
        feature: str,
        instructions: str,
        model_input: str,
        served_by: Iterable[tuple[str, str]],
        extra: Mapping[str, Any],
    ) -> str:
        """The entry's key: `model_input` is the digest of the messages and schema."""
        material = {
            "v": KEY_VERSION,
            "feature": feature,
            "input": model_input,
            "extra": dict(extra),
            "models": [list(pair) for pair in served_by],
            "strategy": self.settings.AI_ROUTING_STRATEGY,
            "prompt": hashlib.sha256(instructions.encode("utf-8")).hexdigest()[:16],
        }
        encoded = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()

    async def get(self, key: str) -> CachedAnswer | None:
        try:
            raw = await asyncio.to_thread(self.store.get, key)
        except Exception:
            self.counters["errors"] += 1
            logger.exception("response cache: %s store unavailable on read", self.store.name)
            return None
        if raw is None:
            self.counters["misses"] += 1
            return None
        entry = json.loads(raw)
        self.counters["hits"] += 1
        return CachedAnswer(entry["body"], float(entry["stored_at"]))

    def unusable_hit(self) -> None:
        """A hit its reader could not use (the entry no longer fits its schema): a miss."""
        self.counters["hits"] -= 1
        self.counters["misses"] += 1

    async def put(self, key: str, feature: str, body: Mapping[str, Any], cacheable: bool) -> bool:
        """Store `body` when `cacheable` and small enough; True when stored."""
        if not cacheable:
            self.counters["not_cacheable"] += 1
            return False
        raw = json.dumps({"body": body, "stored_at": time.time()}, default=str, separators=(",", ":"))
        if len(raw.encode("utf-8")) > self.max_entry_bytes:
            self.counters["not_cacheable"] += 1
            return False
        try:
            await asyncio.to_thread(self.store.put, key, feature, raw, self.ttl)
        except Exception:
            self.counters["errors"] += 1
            logger.exception("response cache: %s store unavailable on write", self.store.name)
            return False
        self.counters["stored"] += 1
        return True

    def snapshot(self) -> dict[str, Any]:
        """For `/api/v1/ai/status`: where the cache lives, its bounds and counters."""
        looked_up = self.counters["hits"] + self.counters["misses"]
        return {
            "enabled": True,
            "store": self.store.name,
            "ttl_seconds": self.ttl,
            "max_entries": self.settings.AI_RESPONSE_CACHE_MAX_ENTRIES,
            "max_entry_bytes": self.max_entry_bytes,
            **self.counters,
            "hit_rate": round(self.counters["hits"] / looked_up, 4) if looked_up else None,
        }


def build_response_cache(settings: Settings) -> ResponseCache | None:
    """The app's response cache, or None when `AI_RESPONSE_CACHE_ENABLED` is off."""
    if not settings.AI_RESPONSE_CACHE_ENABLED:
        return None
    max_entries = int(settings.AI_RESPONSE_CACHE_MAX_ENTRIES)
    url = settings.AI_RESPONSE_CACHE_REDIS_URL or settings.AI_STATE_REDIS_URL
    store: CacheStore
    if url:
        store = RedisStore(url, f"{settings.AI_STATE_KEY_PREFIX}:response-cache", max_entries)
    else:
        store = DatabaseStore(get_engine(settings.DATABASE_URL), max_entries)
    return ResponseCache(store, settings)
