"""The response cache: repeated feature calls answered without a provider call (issue 15)."""

from app.ai.cache.response_cache import CachedAnswer, ResponseCache, build_response_cache, cache_mode

__all__ = ["CachedAnswer", "ResponseCache", "build_response_cache", "cache_mode"]
