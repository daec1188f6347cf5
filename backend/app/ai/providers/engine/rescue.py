"""Rescuing a stream that broke after content: continue it on the next capable provider.

The call loops stay as they are: a stream that fails after content still ends its loop
with `StreamInterruptedError`. The chat model wraps the loop (`SentText` watches what
reached the caller) and, with `AI_STREAM_RESUME=auto`, hands the cut to
`acontinue_stream` / `continue_stream`: each provider that may continue
(`continuation.continuers`) gets the original messages plus the text sent so far as a
final assistant turn; its text is joined on (`continuation.Joiner`), so the caller
receives one answer with no word doubled or missing. A continuation that breaks in turn
is continued by the next one, from the longer text. A 400 to the prefill teaches the
runtime that the model cannot continue (`PrefillRefusals`) and never replaces the
original failure in what the caller sees. When nobody can continue, the original
`StreamInterruptedError` is raised, as with `AI_STREAM_RESUME=off`.

Continuation attempts are plain (never hedged): the caller is already reading, and
racing two continuations would need a second splice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGenerationChunk

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine.bounded_reads import BoundedReader, bounded_chunks
from app.ai.providers.engine.engine import aclose
from app.ai.providers.engine.stream_guard import StreamGuard
from app.ai.providers.errors import ContentFilteredError, StreamInterruptedError
from app.ai.providers.policies.classification import ErrorClass
from app.ai.providers.policies.continuation import Joiner, continuers, is_prefill_refusal, prefill_for

if TYPE_CHECKING:
    from app.ai.providers.engine.attempt import AttemptScope
    from app.ai.providers.engine.call import CallState

OpenStream = Callable[[Member, list[BaseMessage], dict[str, Any]], Iterator[ChatGenerationChunk]]
AsyncOpenStream = Callable[[Member, list[BaseMessage], dict[str, Any]], AsyncIterator[ChatGenerationChunk]]


class SentText:
    """What reached the caller: its text, whether a tool call started, usage and cost."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.tool_call = False
        self.usage: UsageMetadata | None = None
        self.list_content = False

    def see(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        message = chunk.message
        if getattr(message, "tool_call_chunks", None):
            self.tool_call = True
        text = message.text
        if text:
            self.parts.append(text)
        self.list_content = self.list_content or isinstance(message.content, list)
        return chunk

    @property
    def text(self) -> str:
        return "".join(self.parts)


def resumable(sent: SentText, cut: StreamInterruptedError, *, after_filter: bool = False) -> bool:
    """A cut after text only (never half a tool call) with text to continue from; a
    content filter's stop is continued elsewhere only when failover on it is allowed."""
    if isinstance(cut.__cause__, ContentFilteredError) and not after_filter:
        return False
    return not sent.tool_call and bool(sent.text.strip()) and cut.member is not None


def _text_chunk(text: str, as_list: bool) -> ChatGenerationChunk:
    content: Any = [{"type": "text", "text": text, "index": 0}] if as_list else text
    return ChatGenerationChunk(message=AIMessageChunk(content=content))


class _Continuation:
    """Book-keeping shared by the sync and async continuation loops."""

    def __init__(self, call: CallState, messages: Sequence[BaseMessage], sent: SentText,
                 cut: StreamInterruptedError) -> None:
        self.call = call
        self.messages = list(messages)
        self.sent = sent
        self.cut = cut
        assert cut.member is not None
        self.origin: Member = cut.member
        self.origin_chars = len(sent.text)
        self.cost = 0.0
        self.usage: UsageMetadata | None = None
        self.tried: set[str] = set()
        self._add(self.origin, cut.usage)  # what the cut stream had used counts too

    def next_member(self) -> Member | None:
        if self.call.deadline.expired:
            return None
        found = continuers(
            self.call.members, self.origin, refusals=self.call.policy.prefill_refusals, exclude=self.tried
        )
        return found[0] if found else None

    def begin(self, member: Member) -> tuple[AttemptScope, list[BaseMessage], Joiner, dict[str, Any]]:
        self.tried.add(member.name)
        prefill = prefill_for(self.messages, self.sent.text)
        scope = self.call.attempt(member, StreamGuard(member))
        kwargs = {**self.call.call_kwargs(member, scope), **member.adapter.prefill_kwargs()}
        return scope, prefill.messages, Joiner(prefill.held_back), kwargs

    def failed(self, scope: AttemptScope, exc: BaseException) -> bool:
        """Record a failed continuation; False when the caller went away (re-raise)."""
        member, guard = scope.member, scope.guard
        assert guard is not None
        if is_prefill_refusal(exc) and not guard.sent_content:
            self.call.policy.prefill_refusals.refused(member.name, member.model_name)
            self.call.prefill_refused(scope, exc)  # recorded, kept out of the caller's error
            return True
        verdict = self.call.failed(scope, exc)
        self._add(member, guard.usage)
        return verdict.error_class is not ErrorClass.CANCELLED

    def _add(self, member: Member, usage: UsageMetadata | None) -> None:
        if usage:
            self.usage = add_usage(self.usage, usage)
            self.cost += self.call.cost_of(member, usage) or 0.0

    def succeeded(self, scope: AttemptScope) -> ChatGenerationChunk:
        guard = scope.guard
        assert guard is not None
        meta = self.call.succeeded(
            scope,
            add_usage(self.usage, guard.usage) if guard.usage else self.usage,
            streamed=True,
            ttft_ms=guard.ttft_ms,
            finish_reason=guard.finish_reason,
            resumed={"from": self.origin.name, "after_chars": self.origin_chars},
            extra_cost=self.cost,
        )
        return guard.closing_chunk(meta)

    def give_up(self) -> StreamInterruptedError:
        """The original error (its message names the original failure), with every
        attempt of the call, continuations included."""
        self.call.log_interrupted()
        self.cut.attempts = tuple(self.call.attempts)
        return self.cut


async def acontinue_stream(
    call: CallState,
    messages: Sequence[BaseMessage],
    sent: SentText,
    cut: StreamInterruptedError,
    open_stream: AsyncOpenStream,
) -> AsyncIterator[ChatGenerationChunk]:
    """Continue the cut stream; raises `cut` itself when nobody can."""
    state = _Continuation(call, messages, sent, cut)
    while (member := state.next_member()) is not None:
        scope, prefill, joiner, kwargs = state.begin(member)
        guard = scope.guard
        assert guard is not None
        inner = open_stream(member, prefill, kwargs)
        try:
            async for chunk in bounded_chunks(inner, call, scope):
                for out in guard.admit(chunk):
                    if (piece := _joined(out, joiner, sent)) is not None:
                        yield piece
            for out in guard.finish():
                if (piece := _joined(out, joiner, sent)) is not None:
                    yield piece
        except BaseException as exc:
            if not state.failed(scope, exc):
                raise
            continue
        finally:
            await aclose(inner)
        yield state.succeeded(scope)
        return
    raise state.give_up()


def continue_stream(
    call: CallState,
    messages: Sequence[BaseMessage],
    sent: SentText,
    cut: StreamInterruptedError,
    open_stream: OpenStream,
) -> Iterator[ChatGenerationChunk]:
    """The sync form of `acontinue_stream` (waits bounded as in `engine.stream`)."""
    state = _Continuation(call, messages, sent, cut)
    while (member := state.next_member()) is not None:
        scope, prefill, joiner, kwargs = state.begin(member)
        guard = scope.guard
        assert guard is not None
        reader = BoundedReader(open_stream(member, prefill, kwargs), call, scope)
        try:
            for chunk in reader:
                for out in guard.admit(chunk):
                    if (piece := _joined(out, joiner, sent)) is not None:
                        yield piece
            for out in guard.finish():
                if (piece := _joined(out, joiner, sent)) is not None:
                    yield piece
        except BaseException as exc:
            if not state.failed(scope, exc):
                raise
            continue
        finally:
            reader.close()
        yield state.succeeded(scope)
        return
    raise state.give_up()


def _joined(chunk: ChatGenerationChunk, joiner: Joiner, sent: SentText) -> ChatGenerationChunk | None:
    """The continuation's chunk as the caller should see it: its text joined on, in the
    content shape the caller has been receiving; content-free chunks pass as they are."""
    message = chunk.message
    text = str(message.text)  # a plain str: LangChain's `TextAccessor` breaks chunk merging
    if not text:
        # Usage counts; the continuing provider's own metadata (model name, stop reason)
        # would be merged into the caller's by string concatenation, so it stays out.
        usage = getattr(message, "usage_metadata", None)
        if not usage or message.content:
            return None
        empty: Any = [] if sent.list_content else ""
        return ChatGenerationChunk(message=AIMessageChunk(content=empty, usage_metadata=usage))
    piece = joiner.feed(text)
    if not piece:
        return None
    return sent.see(_text_chunk(piece, sent.list_content))
