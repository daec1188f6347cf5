"""One request's use of the response cache, keyed by exactly what the model receives.

Why keyed by the model's input and not by table versions: a key that held the data
version of every table an answer reads was invalidated by any write to those tables,
so one new job emptied every recommendation and matching entry although almost no
shortlist changed. The chains run stage one (the database shortlist, or retrieval for
Q&A) on every request -- it is cheap and needs no provider -- and only then ask here,
with the very messages and answer schema they would send. So:

* a write that changes what the model would see (a shortlisted row's text, a new item
  entering the shortlist, a changed retrieved chunk) changes the messages: a miss;
* a write anywhere else leaves the messages, and so the key, as they were: a hit.

What is cached is the model's structured output only; the chain merges it with the
shortlist or chunks it just computed, so local scores and row fields in the answer are
always the current ones. Who served it (providers and models in order, the strategy)
and the instructions are in the key too. Never cached: degraded, local, truncated or
unparsed answers (`cacheable`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ValidationError

from app.ai.cache.response_cache import CacheMode, ResponseCache
from app.ai.chains.served import ServedBy

logger = logging.getLogger("app.ai.cache")


def cacheable(served: ServedBy, complete: bool) -> bool:
    """Only whole model answers: never degraded, local, incomplete or truncated ones."""
    return complete and not served.degraded and not served.truncated and served.provider not in ("", "local")


@lru_cache(maxsize=256)
def _schema_text(schema: type[BaseModel]) -> str:
    """The schema as canonical JSON; cached per class (ranking schemas are reused per
    shortlist), because generating it costs more than hashing a whole prompt."""
    return json.dumps(schema.model_json_schema(), sort_keys=True, separators=(",", ":"))


def model_input_digest(messages: Sequence[BaseMessage], schema: type[BaseModel]) -> str:
    """SHA-256 of the messages (role and content, every block) and the answer's JSON schema.

    The schema is included because it carries the ids the model may choose from.
    """
    material = {
        "messages": [[message.type, message.content] for message in messages],
        "schema": _schema_text(schema),
    }
    encoded = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedOutput:
    """A cached model output, parsed into this call's schema, and who is said to have
    served it (`cached=True`, cost 0)."""

    parsed: BaseModel
    served: ServedBy
    age_seconds: int


class ModelAnswerCache:
    """The response cache as one request may use it (mode, models, per-user extras).

    Built at the HTTP edge (`app/api/cached_answers.py`), which knows the request's
    `Cache-Control`; passed to a chain, which knows the model input.
    """

    def __init__(
        self,
        cache: ResponseCache,
        mode: CacheMode,
        feature: str,
        served_by: Iterable[tuple[str, str]],
        extra: Mapping[str, Any],
        on_hit: Callable[[ServedBy], None],
    ) -> None:
        self.cache = cache
        self.mode = mode
        self.feature = feature
        self.served_by = [(name, model) for name, model in served_by]
        self.extra = dict(extra)
        self.on_hit = on_hit
        self.last_hit_age: int | None = None

    def key(self, instructions: str, messages: Sequence[BaseMessage], schema: type[BaseModel]) -> str:
        return self.cache.key(
            self.feature, instructions, model_input_digest(messages, schema), self.served_by, self.extra
        )

    async def lookup(self, key: str, schema: type[BaseModel]) -> CachedOutput | None:
        """The cached output for `key`, parsed into `schema`, when this request may read
        the cache. An entry that does not parse is a miss (and is logged), never an error."""
        if self.mode != "use":
            return None
        started = time.monotonic()
        hit = await self.cache.get(key)
        if hit is None:
            return None
        try:
            parsed = schema.model_validate(hit.body.get("output") or {})
        except ValidationError:
            self.cache.unusable_hit()
            logger.warning("response cache: %s entry does not fit its schema; asking the model", self.feature)
            return None
        served = ServedBy(
            provider=str(hit.body.get("provider", "")), model=str(hit.body.get("model", "")),
            cached=True, cost_usd=0.0, latency_ms=round((time.monotonic() - started) * 1000.0, 3),
            finish_reason=hit.body.get("finish_reason"),
        )
        self.last_hit_age = hit.age_seconds
        self.on_hit(served)
        return CachedOutput(parsed, served, hit.age_seconds)

    async def store(self, key: str, output: Mapping[str, Any], served: ServedBy, complete: bool) -> bool:
        """Keep the model's `output` when the answer is whole (`cacheable`); True when stored."""
        body = {
            "output": dict(output), "provider": served.provider, "model": served.model,
            "finish_reason": served.finish_reason,
        }
        return await self.cache.put(key, self.feature, body, cacheable(served, complete))
