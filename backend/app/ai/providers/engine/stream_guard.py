"""The stream guard: sees every chunk of one streamed attempt before the caller does.

Until the first content (text or tool-call) chunk, nothing reaches the caller, so a
failure can still move to another provider without splicing two answers together. At
the end it checks the provider's end-of-answer marker: the official SDKs end a cut
stream silently, and a truncated answer must not pass for a complete one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGenerationChunk

from app.ai.providers.adapters.base import Member
from app.ai.providers.errors import IncompleteStreamError
from app.ai.providers.policies.endings import check_ending


class StreamGuard:
    """Holds back content-free chunks until the answer starts; checks it really ended."""

    def __init__(self, member: Member) -> None:
        self.member = member
        self.started = time.monotonic()
        self.ttft_ms: float | None = None
        self.usage: UsageMetadata | None = None
        self.sent_content = False
        self.finished = False
        self.finish_reason: str | None = None
        self.count = 0
        self._pending: list[ChatGenerationChunk] = []
        self._list_content = False

    def admit(self, chunk: ChatGenerationChunk) -> Iterator[ChatGenerationChunk]:
        """The chunks that may reach the caller now that `chunk` arrived."""
        self.count += 1
        if self.member.adapter.stream_finished(chunk):
            self.finished = True
            # Raises ContentFilteredError on a filter's ending: the attempt failed.
            self.finish_reason = check_ending(self.member, chunk.message, chunk.generation_info)
        self._list_content = isinstance(chunk.message.content, list)
        usage = getattr(chunk.message, "usage_metadata", None)
        if usage:
            self.usage = add_usage(self.usage, usage)
        if not self.sent_content and not has_content(chunk):
            self._pending.append(chunk)
            return
        if not self.sent_content:
            self.ttft_ms = round((time.monotonic() - self.started) * 1000.0, 3)
        self.sent_content = True
        yield from self._flush()
        yield chunk

    def finish(self) -> Iterator[ChatGenerationChunk]:
        """The held-back chunks, once the stream ended; raises when it ended cut."""
        if not self.finished:
            raise IncompleteStreamError(self.member.name, self.count)
        yield from self._flush()

    def _flush(self) -> Iterator[ChatGenerationChunk]:
        pending, self._pending = self._pending, []
        yield from pending

    def closing_chunk(self, meta: dict[str, Any]) -> ChatGenerationChunk:
        """The last chunk of a served stream: it carries the `hybrid` metadata."""
        message = AIMessageChunk(
            content=[] if self._list_content else "", response_metadata={"hybrid": meta}
        )
        return ChatGenerationChunk(message=message)


def has_content(chunk: ChatGenerationChunk) -> bool:
    message = chunk.message
    if message.content:
        return True
    return bool(getattr(message, "tool_call_chunks", None))
