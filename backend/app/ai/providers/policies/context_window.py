"""Context-window awareness: do not send a prompt to a model that cannot hold it.

Before a call, the prompt's size is estimated with a cheap heuristic (characters / 4
plus a small per-message overhead -- no tokenizer download, no heavy dependency; it
is within ~10-20% for English prose, which is all a skip decision needs). A provider
whose model window cannot hold the prompt plus room for the answer is skipped *when
another configured provider has a larger (or unknown) window*; if nothing is larger,
the largest one still gets the call, because the estimate is only an estimate and the
provider's own `context_length_exceeded` answer is the authority.

That answer is already classified request-fatal ("context_length_exceeded"): the call
gets one try on each remaining provider. Models smaller than the one that refused
were, in practice, already skipped here, so the next try goes to a larger window.

This module holds no model data: each provider's adapter declares the windows of its
models (`ProviderAdapter.context_windows`), so adding a provider touches its own module
only; `assembly.py` passes the merged table in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from app.ai.providers.adapters.base import Member
from app.ai.providers.policies.routing import CallContext

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
REPLY_PRIMING_TOKENS = 3
#: Room kept for the answer when the call does not say its `max_tokens`.
DEFAULT_OUTPUT_RESERVE = 1_024

_BOUNDARY = "-:@/_"


def context_window(model: str | None, table: Mapping[str, int]) -> int | None:
    """The window of `model` (longest `table` prefix ending at a name boundary), or None.

    `table` maps model-name prefixes to windows (input + output tokens); the adapters
    declare theirs and `adapters/registry.default_context_windows()` merges them.
    """
    if not model:
        return None
    name = model.strip().lower().removeprefix("models/")
    name = name.rsplit("/", 1)[-1]  # "meta-llama/llama-3.1-8b" -> "llama-3.1-8b"
    best: tuple[int, int] | None = None
    for prefix, window in table.items():
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix):]
        if rest and not prefix.endswith("-") and rest[0] not in _BOUNDARY:
            continue  # "gpt-4" must not claim "gpt-4o"
        if best is None or len(prefix) > best[0]:
            best = (len(prefix), window)
    return best[1] if best else None


def _content_chars(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    if isinstance(content, Mapping):
        return sum(_content_chars(v) for k, v in content.items() if k not in ("type", "id"))
    if isinstance(content, Iterable):
        return sum(_content_chars(part) for part in content)
    return 0


def tools_chars(tools: Any) -> int:
    """Serialised size of bound tools (the gate memoises it per bound list)."""
    return len(json.dumps(tools, default=str))


def _message_chars(messages: Sequence[BaseMessage]) -> int:
    chars = 0
    for message in messages:
        chars += _content_chars(message.content)
        for call in getattr(message, "tool_calls", None) or []:
            chars += len(call.get("name", "")) + len(json.dumps(call.get("args", {}), default=str))
    return chars


def estimate_tokens(
    messages: Sequence[BaseMessage],
    tools: Any = None,
    *,
    message_chars: int | None = None,
    tools_size: int | None = None,
) -> int:
    """Cheap prompt-size estimate: characters / 4, plus per-message and tool overhead."""
    chars = _message_chars(messages) if message_chars is None else message_chars
    if tools:
        chars += tools_chars(tools) if tools_size is None else tools_size
    return (
        math.ceil(chars / CHARS_PER_TOKEN)
        + MESSAGE_OVERHEAD_TOKENS * len(messages)
        + REPLY_PRIMING_TOKENS
    )


def _output_reserve(member: Member) -> int:
    for value in (member.known_kwargs.get("max_tokens"), getattr(member.model, "max_tokens", None)):
        if isinstance(value, int) and value > 0:
            return value
    return DEFAULT_OUTPUT_RESERVE


class ContextWindowGate:
    """Skips a provider whose model cannot hold the prompt, when a larger one is configured."""

    def __init__(
        self,
        windows: Mapping[str, int | None],
        output_reserve: int | None = None,
        table: Mapping[str, int] | None = None,
    ) -> None:
        """`windows`: the window of each configured provider, by name (None: unknown);
        `table`: windows by model-name prefix, for a provider not in `windows`."""
        self.windows = dict(windows)
        self.output_reserve = output_reserve
        self.table: Mapping[str, int] = dict(table or {})
        # Serialised size of each bound tool list (the same list recurs on every call);
        # the entry keeps its list alive, so an id is never reused while cached.
        self._tool_sizes: dict[int, tuple[Any, int]] = {}

    def _tools_size(self, tools: Any) -> int:
        hit = self._tool_sizes.get(id(tools))
        if hit is not None and hit[0] is tools:
            return hit[1]
        size = tools_chars(tools)
        if len(self._tool_sizes) > 256:
            self._tool_sizes.clear()
        self._tool_sizes[id(tools)] = (tools, size)
        return size

    def window_for(self, member: Member) -> int | None:
        if member.name in self.windows:
            return self.windows[member.name]
        return context_window(member.model_name, self.table)

    def skip_reason(self, member: Member, context: CallContext) -> str | None:
        window = self.window_for(member)
        if window is None:
            return None
        reserve = self.output_reserve if self.output_reserve is not None else _output_reserve(member)
        message_chars = context.memo.get("message_chars")
        if message_chars is None:
            message_chars = context.memo["message_chars"] = _message_chars(context.messages)
        # Not `kwargs`: that would bind every member's pending structured output up front.
        tools = member.known_kwargs.get("tools")
        size = self._tools_size(tools) if tools else None
        needed = reserve + estimate_tokens(
            context.messages, tools, message_chars=message_chars, tools_size=size
        )
        if needed <= window:
            return None
        # Only the providers this call could use count: with `fallback=False` the
        # configured chain is larger than the model's members.
        if context.members:
            others = [self.window_for(m) for m in context.members if m.name != member.name]
        else:
            others = [w for name, w in self.windows.items() if name != member.name]
        if not any(w is None or w > window for w in others):
            return None  # nothing larger is configured: let the provider judge
        return f"context_window: ~{needed} tokens needed > {window} of {member.model_name}"
