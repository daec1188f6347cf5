"""`ModelAnswerCache` on a real Redis store: the key follows the model input exactly,
`refresh` stores without reading, and only whole model answers are kept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from app.ai.cache import ResponseCache
from app.ai.cache.model_answers import ModelAnswerCache, cacheable, model_input_digest
from app.ai.cache.stores import RedisStore
from app.ai.chains.ranking import ranking_schema
from app.ai.chains.served import ServedBy
from app.core.config import load_settings

MODELS = [("openai", "gpt-4o"), ("anthropic", "claude-3-5-sonnet-20241022")]
WHOLE = ServedBy(provider="openai", model="gpt-4o", finish_reason="stop")


@pytest.fixture
def cache(redis_url: str) -> Iterator[ResponseCache]:
    store = RedisStore(redis_url, f"test-model-answers:{uuid.uuid4().hex}", max_entries=50)
    yield ResponseCache(store, load_settings(_env_file=None))
    store.clear()


def messages(shortlist: str) -> list[BaseMessage]:
    return [SystemMessage("Rank."), HumanMessage(content=[{"type": "text", "text": shortlist}])]


def test_the_digest_changes_with_any_part_of_the_model_input() -> None:
    schema = ranking_schema("JobRanking", "job_id", [1, 2], ["reasons"])
    base = model_input_digest(messages('<job id="1">a</job><job id="2">b</job>'), schema)
    assert base == model_input_digest(messages('<job id="1">a</job><job id="2">b</job>'), schema)
    assert base != model_input_digest(messages('<job id="1">a</job><job id="2">c</job>'), schema)
    assert base != model_input_digest(messages('<job id="2">b</job><job id="1">a</job>'), schema)
    other_ids = ranking_schema("JobRanking", "job_id", [1, 3], ["reasons"])
    assert base != model_input_digest(messages('<job id="1">a</job><job id="2">b</job>'), other_ids)


def test_only_whole_model_answers_are_cacheable() -> None:
    assert cacheable(WHOLE, complete=True)
    assert not cacheable(WHOLE, complete=False)
    assert not cacheable(ServedBy(provider="openai", model="gpt-4o", truncated=True), complete=True)
    assert not cacheable(ServedBy(provider="local", model="rules", degraded=True), complete=True)
    assert not cacheable(ServedBy.local(), complete=True)


def test_refresh_stores_without_reading_and_a_hit_costs_nothing(cache: ResponseCache) -> None:
    hits: list[ServedBy] = []
    schema = ranking_schema("JobRanking", "job_id", [1, 2], ["reasons"])
    output = {"items": [{"job_id": 2, "fit_score": 90, "reasons": ["Python"]}]}

    def answers(mode: str, models: list[tuple[str, str]] = MODELS) -> ModelAnswerCache:
        return ModelAnswerCache(cache, mode, "recommendations", models, {}, hits.append)  # type: ignore[arg-type]

    async def scenario() -> None:
        refresh = answers("refresh")
        key = refresh.key("Rank.", messages("<job id=\"1\">a</job>"), schema)
        assert await refresh.store(key, output, WHOLE, complete=True)
        assert await refresh.lookup(key, schema) is None  # refresh never reads
        hit = await answers("use").lookup(key, schema)
        assert hit is not None and hit.parsed.model_dump() == output
        assert hit.served.cached and hit.served.cost_usd == 0.0 and hit.served.provider == "openai"
        assert [h.provider for h in hits] == ["openai"]
        swapped = answers("use", MODELS[::-1])  # another provider order: another key
        assert await swapped.lookup(swapped.key("Rank.", messages("<job id=\"1\">a</job>"), schema), schema) is None
        incomplete = answers("use")
        other = incomplete.key("Rank.", messages("<job id=\"9\">z</job>"), schema)
        assert not await incomplete.store(other, {}, WHOLE, complete=False)
        assert await incomplete.lookup(other, schema) is None
        other_ids = ranking_schema("JobRanking", "job_id", [3, 4], ["reasons"])
        assert await answers("use").lookup(key, other_ids) is None  # does not parse: a miss
        assert cache.counters["hits"] == 1 and len(hits) == 1
        assert cache.counters["misses"] == 3  # another order, the incomplete one, the unusable hit

    asyncio.run(scenario())
