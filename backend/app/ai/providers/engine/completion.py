"""A whole text answer: an answer cut by the output limit is continued, not passed off.

The project's own text features (cover letters, the assistant, `/ai/complete`) want
the whole text, not just what fitted in one output limit, and they must never show a
cut stream as an answer. Both forms live here so every feature behaves the same:

* `acomplete` (JSON answers) asks the model and, while the answer says `truncated`
  (finish `length` / `max_tokens` / `MAX_TOKENS`), continues it with the prefill rules
  of `policies/continuation.py` -- only on members that can continue a final assistant
  turn -- up to `AI_MAX_CONTINUATIONS` times.
* `astream_whole` (streamed answers) does the same to a stream, and more: when a stream
  broke after content and no provider could continue it (`rescue.py` already tried),
  it yields a `Restart` and streams the complete answer from the remaining providers --
  the caller drops what it showed (SSE routes send a documented `restart` event; JSON
  routes built on a stream simply discard it). Once per call: a restarted answer that
  breaks again ends with the typed `StreamInterruptedError`, never a silent splice.

What is still cut after the continuations stays flagged `truncated: true`; it is never
a plain success. Usage, cost and attempts are the sum over every part.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import add_usage
from langchain_core.runnables import RunnableConfig

from app.ai.providers.adapters.base import Member
from app.ai.providers.errors import ContentFilteredError, HybridProviderError, StreamInterruptedError
from app.ai.providers.policies.continuation import Joiner, can_continue, prefill_for, splice

if TYPE_CHECKING:
    from app.ai.providers.engine.chat_model import HybridChatModel


@dataclass(frozen=True, slots=True)
class Restart:
    """No provider could continue a cut stream: the answer starts again on the next one.

    The caller drops the `shown_chars` characters it showed; what follows is complete.
    """

    reason: str
    """The original failure (secret-free, as `StreamInterruptedError` words it)."""
    provider: str | None
    """The provider whose stream broke."""
    shown_chars: int

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "provider": self.provider, "shown_chars": self.shown_chars}


async def acomplete(
    model: HybridChatModel, messages: Sequence[BaseMessage], config: RunnableConfig | None = None
) -> AIMessage:
    """The answer to `messages`, continued while the output limit cut it (see module)."""
    answer = await model.ainvoke(list(messages), config)
    meta: dict[str, Any] = dict(answer.response_metadata.get("hybrid") or {})
    text, usage = str(answer.text), answer.usage_metadata
    continued = 0
    while _cut(meta, answer.tool_calls) and continued < model.policy.max_continuations:
        capable = _continuers(model)
        if not capable:
            break
        try:
            more = await model.with_members(capable).ainvoke(prefill_for(messages, text).messages, config)
        except HybridProviderError:
            break  # the part we have stays flagged truncated
        continued += 1
        text = splice(text, str(more.text))
        usage = add_usage(usage, more.usage_metadata) if more.usage_metadata else usage
        meta = merged(meta, more.response_metadata.get("hybrid") or {}, continued)
    if not continued:
        return answer
    return AIMessage(content=text, response_metadata={**answer.response_metadata, "hybrid": meta},
                     usage_metadata=usage)


async def astream_whole(
    model: HybridChatModel, messages: Sequence[BaseMessage], config: RunnableConfig | None = None
) -> AsyncGenerator[AIMessageChunk | Restart, None]:
    """The model's chunks for `messages`, continued past the output limit and restarted
    once when a cut stream could not be continued (see module). The chunk carrying the
    `hybrid` metadata comes last and describes the whole answer."""
    current, restarted = model, False
    while True:
        shown: list[str] = []
        try:
            async with aclosing(_continued(current, messages, config, shown)) as chunks:
                async for chunk in chunks:
                    yield _restarted(chunk) if restarted else chunk
            return
        except StreamInterruptedError as cut:
            rest = [m for m in current.members if m.name != cut.provider]
            refused = isinstance(cut.__cause__, ContentFilteredError)
            if restarted or refused or not rest or model.policy.stream_resume != "auto":
                raise
            yield Restart(str(cut), cut.provider, len("".join(shown)))
            current, restarted = current.with_members(rest), True


def _restarted(chunk: AIMessageChunk) -> AIMessageChunk:
    """The chunk, its `hybrid` metadata (if any) saying the answer was restarted."""
    meta = chunk.response_metadata.get("hybrid")
    if not meta:
        return chunk
    hybrid = {**meta, "restarted": True, "failover": True}
    return chunk.model_copy(update={"response_metadata": {**chunk.response_metadata, "hybrid": hybrid}})


async def _continued(
    model: HybridChatModel, messages: Sequence[BaseMessage], config: RunnableConfig | None, shown: list[str]
) -> AsyncGenerator[AIMessageChunk, None]:
    """One streamed answer, its closing chunk held back while the limit cut it and the
    continuations stream on; `shown` collects the text the caller received."""
    closing: AIMessageChunk | None = None
    tool_call = as_list = False
    async with aclosing(model.astream(list(messages), config)) as chunks:
        async for chunk in chunks:
            tool_call = tool_call or bool(chunk.tool_call_chunks)
            as_list = as_list or isinstance(chunk.content, list)
            if _cut(chunk.response_metadata.get("hybrid") or {}, tool_call) and not chunk.text:
                closing = chunk  # yielded last, once we know how the answer ends
                continue
            if chunk.text:
                shown.append(str(chunk.text))
            yield chunk
    if closing is None:
        return
    meta: dict[str, Any] = dict(closing.response_metadata["hybrid"])
    continued = 0
    while _cut(meta, False) and continued < model.policy.max_continuations:
        capable = _continuers(model)
        if not capable:
            break
        prefill = prefill_for(messages, "".join(shown))
        joiner, extra = Joiner(prefill.held_back), None
        try:
            async with aclosing(model.with_members(capable).astream(prefill.messages, config)) as more:
                async for chunk in more:
                    extra = chunk.response_metadata.get("hybrid") or extra
                    if (piece := _joined(chunk, joiner, as_list)) is not None:
                        shown.append(str(piece.text))
                        yield piece
        except HybridProviderError:
            break  # what was shown is still a cut answer: it stays flagged truncated
        continued += 1
        meta = merged(meta, extra or {}, continued)
    yield closing.model_copy(update={"response_metadata": {**closing.response_metadata, "hybrid": meta}})


def _joined(chunk: AIMessageChunk, joiner: Joiner, as_list: bool) -> AIMessageChunk | None:
    """A continuation chunk as the caller should see it: text joined on, in the content
    shape the caller has been receiving, usage kept; the continuing provider's own
    metadata stays out (LangChain would merge its strings into the caller's)."""
    piece = joiner.feed(str(chunk.text))
    if not piece and not chunk.usage_metadata:
        return None
    content: Any = ([{"type": "text", "text": piece, "index": 0}] if piece else []) if as_list else piece
    return AIMessageChunk(content=content, usage_metadata=chunk.usage_metadata)


def merged(meta: dict[str, Any], extra: dict[str, Any], continued: int) -> dict[str, Any]:
    """The metadata of an answer after its `continued`-th continuation (`extra`'s)."""
    usage = dict(meta.get("usage") or {})
    for key, count in (extra.get("usage") or {}).items():
        usage[key] = usage.get(key, 0) + count
    return {
        **meta,
        "truncated": bool(extra.get("truncated")),
        "finish_reason": extra.get("finish_reason"),
        "continuations": continued,
        "continued_by": extra.get("provider"),
        "attempts": [*meta.get("attempts", []), *extra.get("attempts", [])],
        "cost_usd": _sum(meta.get("cost_usd"), extra.get("cost_usd")),
        "usage": usage,
    }


def _cut(meta: dict[str, Any], tool_calls: Any) -> bool:
    """Cut by the output limit, and continuable as text (a tool call never is)."""
    return bool(meta.get("truncated")) and not tool_calls


def _continuers(model: HybridChatModel) -> list[Member]:
    return [m for m in model.members if can_continue(m, model.policy.prefill_refusals)]


def _sum(*costs: Any) -> float | None:
    known = [float(c) for c in costs if c is not None]
    return round(sum(known), 8) if known else None
