"""Prompt caching as the real APIs report it, so cost accounting can be tested end to end.

Anthropic (explicit): a request marks up to four blocks with ``cache_control``; the
prefix up to each marked block (in the API's order: tools, then system, then
messages) is cacheable when it is at least the model's minimum length.  A prefix seen
within the TTL is *read* (``cache_read_input_tokens``); the rest up to the last
breakpoint is *written* (``cache_creation_input_tokens``); ``input_tokens`` counts only
what comes after the cached/written prefix.  More than four breakpoints is a 400.

OpenAI (automatic): prompts of 1024 tokens or more are cached by prefix, in 128-token
steps; ``prompt_tokens_details.cached_tokens`` is the longest prefix seen before
(``prompt_tokens`` still counts every token).  Tools and the response format come first.

Tokens are the emulator's words (:func:`emulators.content.count_tokens`), so a prefix's
length is its word count.  State is per emulator app, bounded, and cleared by ``reset``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from emulators import content

TTL_SECONDS = 300.0
MAX_ENTRIES = 4096
ANTHROPIC_MAX_BREAKPOINTS = 4
OPENAI_MIN_TOKENS = 1024
OPENAI_STEP = 128
#: Anthropic's minimum cacheable prompt length by model family (longest prefix wins).
_ANTHROPIC_MINIMUMS = (
    ("claude-haiku-4-5", 4096),
    ("claude-opus-4-5", 4096),
    ("claude-3-5-haiku", 2048),
    ("claude-3-haiku", 2048),
)
ANTHROPIC_DEFAULT_MINIMUM = 1024


def anthropic_minimum(model: str) -> int:
    for prefix, minimum in _ANTHROPIC_MINIMUMS:
        if model.startswith(prefix):
            return minimum
    return ANTHROPIC_DEFAULT_MINIMUM


class PrefixStore:
    """Hashes of prefixes seen recently (TTL refreshed on use, LRU-bounded)."""

    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is None or now - seen > self.ttl:
                return False
            self._seen[key] = now
            self._seen.move_to_end(key)
            return True

    def add(self, keys: Iterable[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._seen[key] = now
                self._seen.move_to_end(key)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


@dataclass(frozen=True)
class AnthropicCacheUsage:
    read: int
    written: int
    breakpoints: int


def _anthropic_units(body: dict[str, Any]) -> list[tuple[Any, int, bool]]:
    """Every cacheable unit in prefix order: (unit, its tokens, carries ``cache_control``).

    Token counts add up to :func:`emulators.content.count_tokens` of the request without
    its ``cache_control`` markers (a message's role counts with its first block).
    """
    units: list[tuple[Any, int, bool]] = []

    def add(unit: Any, extra: Any = None) -> None:
        marked = isinstance(unit, dict) and "cache_control" in unit
        clean = strip_cache_control(unit)
        tokens = _words(clean) + (_words(extra) if extra is not None else 0)
        units.append(((extra, clean), tokens, marked))

    for tool in body.get("tools") or []:
        add(tool)
    system = body.get("system")
    if isinstance(system, str):
        add(system)
    elif isinstance(system, list):
        for block in system:
            add(block)
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        rest = {k: v for k, v in message.items() if k != "content"}
        blocks = message.get("content")
        if isinstance(blocks, list) and blocks:
            for index, block in enumerate(blocks):
                add(block, rest if index == 0 else None)
        else:
            add(blocks, rest)
    return units


def _words(value: Any) -> int:
    return sum(content.count_words(text) for text in content.strings_of(value))


def strip_cache_control(value: Any) -> Any:
    """`value` without ``cache_control`` keys (they are markers, not prompt text)."""
    if isinstance(value, dict):
        return {k: strip_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [strip_cache_control(v) for v in value]
    return value


def count_anthropic_breakpoints(body: dict[str, Any]) -> int:
    return sum(marked for _, _, marked in _anthropic_units(body))


def anthropic_usage(store: PrefixStore, body: dict[str, Any], model: str) -> AnthropicCacheUsage:
    """Cache read/written tokens for this request (and remember its cacheable prefixes)."""
    digest = hashlib.sha256(model.encode())
    tokens = 0
    breakpoints: list[tuple[str, int]] = []  # (prefix hash, prefix tokens) per marked block
    for unit, size, marked in _anthropic_units(body):
        digest.update(json.dumps(unit, sort_keys=True, default=str).encode())
        tokens += size
        if marked:
            breakpoints.append((digest.hexdigest(), tokens))
    minimum = anthropic_minimum(model)
    eligible = [(key, size) for key, size in breakpoints if size >= minimum]
    if not eligible:
        return AnthropicCacheUsage(0, 0, len(breakpoints))
    read = max((size for key, size in eligible if store.hit(key)), default=0)
    last = eligible[-1][1]
    store.add(key for key, _ in eligible)
    return AnthropicCacheUsage(read, max(last - read, 0), len(breakpoints))


def _openai_words(body: dict[str, Any]) -> list[str]:
    """The prompt as the cache sees it: tools and response format, then the messages."""
    words: list[str] = []
    for key in ("tools", "functions", "response_format", "messages"):
        for text in content.strings_of(body.get(key)):
            words.extend(text.split())
    return words


def openai_cached_tokens(store: PrefixStore, body: dict[str, Any], model: str, prompt_tokens: int) -> int:
    """Tokens of the longest prefix (1024 + k*128) seen before, at most `prompt_tokens`;
    remembers this prompt's prefixes."""
    words = _openai_words(body)
    if len(words) < OPENAI_MIN_TOKENS:
        return 0
    digest = hashlib.sha256(model.encode())
    keys: list[tuple[str, int]] = []
    done = 0
    for size in range(OPENAI_MIN_TOKENS, len(words) + 1, OPENAI_STEP):
        digest.update(" ".join(words[done:size]).encode() + b"\x00")
        done = size
        keys.append((digest.hexdigest(), size))
    cached = 0
    for key, size in keys:
        if not store.hit(key):
            break
        cached = size
    store.add(key for key, _ in keys)
    return min(cached, prompt_tokens)
