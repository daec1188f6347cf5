"""Anthropic prompt caching: where to put `cache_control` breakpoints in a request.

Why by hand: Anthropic caches only what a request marks, and LangChain's own helper
(the `cache_control` kwarg) marks just the last block -- the part that changes every
call. The features lay their prompts out stable-part-first (instructions and tool
definitions, then the data block that repeats across calls, then the question), and
this policy marks the end of each stable segment of the *formatted* payload:

1. the last tool definition (tools come first in Anthropic's prefix order);
2. the last system block;
3. the last block before the final message (the conversation so far);
4. the block before the final block of the final message (the data before the question).

Within Anthropic's rules: at most four breakpoints in all (the caller's own marks
count), and only where the prefix reaches the model's minimum cacheable length
(estimated at 4 characters per token, like the context-window gate: a slight
overestimate only costs a breakpoint Anthropic ignores). Empty text blocks and
thinking blocks are never marked (the API refuses them). OpenAI needs none of this:
it caches prefixes of 1024+ tokens automatically, which the stable-first layout feeds.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

MAX_BREAKPOINTS = 4
CHARS_PER_TOKEN = 4
EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
#: Minimum cacheable prompt length (tokens) by model prefix; longest prefix wins.
MINIMUM_TOKENS: dict[str, int] = {
    "claude-haiku-4-5": 4096,
    "claude-opus-4-5": 4096,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
    "claude-": 1024,
}
DEFAULT_MINIMUM_TOKENS = 1024
_UNMARKABLE = ("thinking", "redacted_thinking")


def minimum_tokens(model: str) -> int:
    name = model.lower()
    for prefix in sorted(MINIMUM_TOKENS, key=len, reverse=True):
        if name.startswith(prefix):
            return MINIMUM_TOKENS[prefix]
    return DEFAULT_MINIMUM_TOKENS


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, default=str))


def _markable(block: Any) -> bool:
    if not isinstance(block, dict) or block.get("type") in _UNMARKABLE:
        return False
    return not (block.get("type") == "text" and not block.get("text"))


def _count_marks(payload: MutableMapping[str, Any]) -> int:
    def marked(blocks: Any) -> int:
        return sum(isinstance(b, dict) and "cache_control" in b for b in blocks or [])

    system = payload.get("system")
    total = marked(payload.get("tools")) + (marked(system) if isinstance(system, list) else 0)
    for message in payload.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        total += marked(content) if isinstance(content, list) else 0
    return total


def _blocks(container: MutableMapping[str, Any], key: str) -> list[Any]:
    """`container[key]` as blocks, without changing it (a string counts as one text block)."""
    value = container.get(key)
    if isinstance(value, str):
        return [{"type": "text", "text": value}] if value else []
    return value if isinstance(value, list) else []


def _mark(container: MutableMapping[str, Any], key: str, index: int) -> bool:
    """Put a breakpoint on block `index` of `container[key]` (a string becomes a block).

    The list and the block are copied, never changed in place: bound tool definitions
    are shared by every call of a model.
    """
    blocks = list(_blocks(container, key))
    block = blocks[index]
    if not _markable(block) or "cache_control" in block:
        return False
    blocks[index] = {**block, "cache_control": dict(EPHEMERAL)}
    container[key] = blocks
    return True


def add_breakpoints(payload: MutableMapping[str, Any], model: str) -> int:
    """Mark the stable prefixes of an Anthropic Messages `payload` in place; returns marks added."""
    if "cache_control" in payload:  # the caller asked for Anthropic's automatic placement
        return 0
    room = MAX_BREAKPOINTS - _count_marks(payload)
    minimum_chars = minimum_tokens(model) * CHARS_PER_TOKEN
    # (prefix chars up to and including the block, its container, key, index)
    candidates: list[tuple[int, MutableMapping[str, Any], str, int]] = []
    size = 0
    tools = _blocks(payload, "tools")
    size += sum(_chars(t) for t in tools)
    if tools:
        candidates.append((size, payload, "tools", len(tools) - 1))
    system = _blocks(payload, "system")
    if system:
        size += sum(_chars(b) for b in system)
        candidates.append((size, payload, "system", len(system) - 1))
    messages = [m for m in payload.get("messages") or [] if isinstance(m, dict)]
    for index, message in enumerate(messages):
        blocks = _blocks(message, "content")
        if index == len(messages) - 1:
            if len(blocks) >= 2:
                size += sum(_chars(b) for b in blocks[:-1])
                candidates.append((size, message, "content", len(blocks) - 2))
        elif blocks:
            size += sum(_chars(b) for b in blocks)
            if index == len(messages) - 2:
                candidates.append((size, message, "content", len(blocks) - 1))
    eligible = [
        c for c in candidates
        if c[0] >= minimum_chars and _markable(_blocks(c[1], c[2])[c[3]])
        and "cache_control" not in _blocks(c[1], c[2])[c[3]]
    ]
    chosen = eligible[-room:] if room > 0 else []
    return sum(_mark(container, key, index) for _, container, key, index in chosen)
