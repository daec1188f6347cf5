"""`HybridChatModel`: one LangChain chat model served by several providers in turn.

Each call (invoke, stream, batch and their async forms) walks the attempt plan:
the first provider answers; when it fails, the call moves to the next *within the
same call*. Failures are classified (`classification.py`), pauses and retries
decided by the planner (`planner.py`), and the whole call bounded by one deadline.

Inner models are called through their private `_generate`/`_stream` methods with
the outer run manager, so callbacks and tracing fire once per call, not per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from pydantic import ConfigDict, Field, SkipValidation

from app.ai.providers.base import Member
from app.ai.providers.call import CallState
from app.ai.providers.classification import ErrorClass
from app.ai.providers.continuation import PrefillRefusals
from app.ai.providers.endings import check_ending
from app.ai.providers.errors import IncompleteStreamError, StreamInterruptedError
from app.ai.providers.health import HealthStats, ProviderHealth
from app.ai.providers.hedging import (
    HedgePolicy,
    hedged_generate,
    hedged_stream,
)
from app.ai.providers.observers import CallObserver
from app.ai.providers.rescue import SentText, acontinue_stream, continue_stream, resumable
from app.ai.providers.routing import PriorityStrategy, ProviderGate, RoutingStrategy
from app.ai.providers.structured import structured_output_runnable

#: Private keyword carrying the run metadata from `stream`/`astream` to `_stream`.
_RUN_METADATA = "_hybrid_run_metadata"


class HybridChatModel(BaseChatModel):
    """A chat model whose calls fail over between provider members."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    members: SkipValidation[list[Member]]
    """Providers in configured priority order."""
    timeout: float = 60.0
    """Seconds one attempt may take (`AI_REQUEST_TIMEOUT`)."""
    deadline: float = 120.0
    """Seconds the whole call may take, retries and failover included."""
    max_retries: int = 2
    """Retries of one provider, only when no other provider can take the call."""
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    streaming: bool = False
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_wait_max: float = 0.0
    """Longest wait worth one retry of a healthy provider's blip (`AI_RETRY_WAIT_MAX`)."""
    failover_on_content_filter: bool = False
    """Try the next provider after a content-policy refusal (`AI_FAILOVER_ON_CONTENT_FILTER`)."""
    stream_resume: str = "auto"
    """`AI_STREAM_RESUME`: continue a stream cut after content on a capable provider."""
    first_token_timeout: float = 10.0
    """`AI_FIRST_TOKEN_TIMEOUT`: seconds from request to the first content chunk."""
    stream_idle_timeout: float = 15.0
    """`AI_STREAM_IDLE_TIMEOUT`: seconds of silence after content that count as a cut."""
    max_continuations: int = 2
    """`AI_MAX_CONTINUATIONS`: continuations of a text answer cut by the output limit."""
    prefill_refusals: SkipValidation[PrefillRefusals] = Field(default_factory=PrefillRefusals)
    """Models that answered a prefill with a 400 (shared by this model's copies)."""
    strategy: SkipValidation[RoutingStrategy] = Field(default_factory=PriorityStrategy)
    health: SkipValidation[ProviderHealth] = Field(default_factory=HealthStats)
    gates: SkipValidation[list[ProviderGate]] = Field(default_factory=list)
    """Per-call vetoes on providers (budgets, context windows); see `gates.py`."""
    observers: SkipValidation[list[CallObserver]] = Field(default_factory=list)
    """Told about every finished call (cost ledger, metrics); see `observers.py`."""
    hedge: SkipValidation[HedgePolicy] = Field(default_factory=HedgePolicy)
    """When to race the next provider (off unless the factory passes a policy)."""
    """When to race the next provider against a slow one (`hedging.py`); async calls only."""
    missing_settings: list[str] = Field(default_factory=list)
    """When no member is configured: the settings whose absence leaves none."""

    @property
    def _llm_type(self) -> str:
        return "hybrid"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"members": [f"{m.name}:{m.model_name}" for m in self.members]}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="hybrid",
            ls_model_name=kwargs.get("model")
            or (self.members[0].model_name if self.members else "none"),
            ls_model_type="chat",
        )
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    # -- calls ---------------------------------------------------------------

    def _start(
        self, messages: list[BaseMessage], run_manager: Any, kwargs: dict[str, Any]
    ) -> CallState:
        streamed_metadata = kwargs.pop(_RUN_METADATA, None)
        metadata = getattr(run_manager, "metadata", None) or streamed_metadata
        return CallState(self, messages, metadata, kwargs)

    # LangChain's `stream`/`astream` do not hand the run manager to `_stream`, so the
    # run metadata (feature, request id, user id -- what routing, logs and the ledger
    # key on) is passed down as a private keyword instead.
    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        metadata = dict(ensure_config(config).get("metadata") or {})
        return super().stream(input, config, stop=stop, **{_RUN_METADATA: metadata}, **kwargs)

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        metadata = dict(ensure_config(config).get("metadata") or {})
        async for chunk in super().astream(
            input, config, stop=stop, **{_RUN_METADATA: metadata}, **kwargs
        ):
            yield chunk

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._start(messages, run_manager, kwargs)
        while (step := call.next_attempt()) is not None:
            member, pause = step
            time.sleep(pause)
            call.begin()
            try:
                result = member.model._generate(
                    messages, stop=stop or self.stop, run_manager=run_manager,
                    **call.call_kwargs(member),
                )
                ending = _ending(member, result)
            except BaseException as exc:
                if call.failed(member, exc).error_class is ErrorClass.CANCELLED:
                    raise
                continue
            return _annotate(result, call.succeeded(member, _usage(result), finish_reason=ending))
        raise call.exhausted()

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._start(messages, run_manager, kwargs)
        if self.hedge.enabled:

            async def send(m: Member) -> ChatResult:
                result = await m.async_model()._agenerate(
                    messages, stop=stop or self.stop, run_manager=run_manager, **call.call_kwargs(m)
                )
                _ending(m, result)  # a content-filtered answer is a failure of the attempt
                return result

            member, result = await hedged_generate(call, send)
            return _annotate(
                result, call.succeeded(member, _usage(result), finish_reason=_ending(member, result))
            )
        while (step := call.next_attempt()) is not None:
            member, pause = step
            await asyncio.sleep(pause)
            call.begin()
            try:
                async with asyncio.timeout(call.deadline.next_attempt_timeout()):
                    result = await member.async_model()._agenerate(
                        messages, stop=stop or self.stop, run_manager=run_manager,
                        **call.call_kwargs(member),
                    )
                ending = _ending(member, result)
            except BaseException as exc:
                if call.failed(member, exc).error_class is ErrorClass.CANCELLED:
                    raise
                continue
            return _annotate(result, call.succeeded(member, _usage(result), finish_reason=ending))
        raise call.exhausted()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call = self._start(messages, run_manager, kwargs)
        sent = SentText()
        try:
            for chunk in self._stream_attempts(call, messages, stop):
                yield sent.see(chunk)
        except StreamInterruptedError as cut:
            if not call.resume or not resumable(sent, cut, after_filter=self.failover_on_content_filter):
                if call.resume:
                    call.log_interrupted()
                raise
            yield from continue_stream(
                call, messages, sent, cut,
                lambda m, prefill, kw: m.model._stream(prefill, stop=stop or self.stop, **kw),
                _StreamGuard,
            )

    def _stream_attempts(
        self, call: CallState, messages: list[BaseMessage], stop: list[str] | None
    ) -> Iterator[ChatGenerationChunk]:
        while (step := call.next_attempt()) is not None:
            member, pause = step
            time.sleep(pause)
            call.begin()
            guard = _StreamGuard(member)
            inner = member.model._stream(
                messages, stop=stop or self.stop, **call.call_kwargs(member)
            )
            try:
                for chunk in inner:
                    if call.deadline.expired:
                        raise TimeoutError("call deadline reached during the stream")
                    yield from guard.admit(chunk)
                yield from guard.finish()
            except BaseException as exc:
                verdict = call.failed(member, exc)
                if verdict.error_class is ErrorClass.CANCELLED:
                    raise
                if guard.sent_content:
                    raise call.interrupted(member, exc, guard.usage) from exc
                continue
            finally:
                _close(inner)
            meta = call.succeeded(
                member, guard.usage, streamed=True, ttft_ms=guard.ttft_ms, finish_reason=guard.finish_reason
            )
            yield guard.closing_chunk(meta)
            return
        raise call.exhausted()

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        call = self._start(messages, run_manager, kwargs)
        sent = SentText()
        try:
            async for chunk in self._astream_attempts(call, messages, stop):
                yield sent.see(chunk)
        except StreamInterruptedError as cut:
            if not call.resume or not resumable(sent, cut, after_filter=self.failover_on_content_filter):
                if call.resume:
                    call.log_interrupted()
                raise
            continued = acontinue_stream(
                call, messages, sent, cut,
                lambda m, prefill, kw: m.async_model()._astream(prefill, stop=stop or self.stop, **kw),
                _StreamGuard,
            )
            async for chunk in continued:
                yield chunk

    async def _astream_attempts(
        self, call: CallState, messages: list[BaseMessage], stop: list[str] | None
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.hedge.enabled:
            hedged = hedged_stream(
                call,
                lambda m: m.async_model()._astream(messages, stop=stop or self.stop, **call.call_kwargs(m)),
                _StreamGuard,
            )
            async for winner, winner_guard, chunk in hedged:
                if chunk is None:
                    meta = call.succeeded(
                        winner, winner_guard.usage, streamed=True, ttft_ms=winner_guard.ttft_ms,
                        finish_reason=winner_guard.finish_reason,
                    )
                    yield winner_guard.closing_chunk(meta)
                else:
                    yield chunk
            return
        while (step := call.next_attempt()) is not None:
            member, pause = step
            await asyncio.sleep(pause)
            call.begin()
            guard = _StreamGuard(member)
            inner = member.async_model()._astream(
                messages, stop=stop or self.stop, **call.call_kwargs(member)
            )
            try:
                while True:
                    try:
                        async with asyncio.timeout(call.chunk_wait(guard)):
                            chunk = await anext(inner)
                    except StopAsyncIteration:
                        break
                    except TimeoutError as timeout:
                        raise call.wait_error(member, guard) from timeout
                    for out in guard.admit(chunk):
                        yield out
                for out in guard.finish():
                    yield out
            except BaseException as exc:
                verdict = call.failed(member, exc)
                if verdict.error_class is ErrorClass.CANCELLED:
                    raise
                if guard.sent_content:
                    raise call.interrupted(member, exc, guard.usage) from exc
                continue
            finally:
                await _aclose(inner)
            meta = call.succeeded(
                member, guard.usage, streamed=True, ttft_ms=guard.ttft_ms, finish_reason=guard.finish_reason
            )
            yield guard.closing_chunk(meta)
            return
        raise call.exhausted()

    # -- tools and structured output -------------------------------------------

    def with_members(self, members: Sequence[Member]) -> HybridChatModel:
        """A copy of this model whose calls go to `members`."""
        return self.model_copy(update={"members": list(members)})

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind `tools` to every provider with that provider's own `bind_tools`."""
        extra = {"tool_choice": tool_choice} if tool_choice is not None else {}
        members = [m.bind_tools(tools, **extra, **kwargs) for m in self.members]
        return self.with_members(members).bind()

    def with_structured_output(  # type: ignore[override]
        self,
        schema: Any,
        *,
        include_raw: bool = False,
        method: str | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Structured output through each provider's native method, failing over per call.

        `method=None` lets each provider use its own default (OpenAI: json_schema,
        Anthropic: tool calling); the answer is parsed by the parser of whichever
        provider served it.
        """
        options: dict[str, Any] = dict(kwargs)
        if method is not None:
            options["method"] = method
        if strict is not None:
            options["strict"] = strict
        members = [m.with_structured_output(schema, **options) for m in self.members]
        return structured_output_runnable(self.with_members(members), include_raw)


class _StreamGuard:
    """Holds back content-free chunks until the answer starts; checks it really ended.

    Until the first content (text or tool-call) chunk, nothing reaches the caller, so a
    failure can still move to another provider without splicing two answers together.
    """

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
        self.count += 1
        if self.member.adapter.stream_finished(chunk):
            self.finished = True
            # Raises ContentFilteredError on a filter's ending: the attempt failed.
            self.finish_reason = check_ending(self.member, chunk.message, chunk.generation_info)
        self._list_content = isinstance(chunk.message.content, list)
        usage = getattr(chunk.message, "usage_metadata", None)
        if usage:
            self.usage = add_usage(self.usage, usage)
        if not self.sent_content and not _has_content(chunk):
            self._pending.append(chunk)
            return
        if not self.sent_content:
            self.ttft_ms = round((time.monotonic() - self.started) * 1000.0, 3)
        self.sent_content = True
        yield from self._flush()
        yield chunk

    def finish(self) -> Iterator[ChatGenerationChunk]:
        if not self.finished:
            raise IncompleteStreamError(self.member.name, self.count)
        yield from self._flush()

    def _flush(self) -> Iterator[ChatGenerationChunk]:
        pending, self._pending = self._pending, []
        yield from pending

    def closing_chunk(self, meta: dict[str, Any]) -> ChatGenerationChunk:
        message = AIMessageChunk(
            content=[] if self._list_content else "", response_metadata={"hybrid": meta}
        )
        return ChatGenerationChunk(message=message)


def _has_content(chunk: ChatGenerationChunk) -> bool:
    message = chunk.message
    if message.content:
        return True
    return bool(getattr(message, "tool_call_chunks", None))


def _ending(member: Member, result: ChatResult) -> str | None:
    """The answer's ending (raises `ContentFilteredError` when a filter stopped it)."""
    generation = result.generations[0] if result.generations else None
    if generation is None:
        return None
    return check_ending(member, generation.message, generation.generation_info)


def _usage(result: ChatResult) -> UsageMetadata | None:
    message = result.generations[0].message if result.generations else None
    return getattr(message, "usage_metadata", None)


def _annotate(result: ChatResult, meta: dict[str, Any]) -> ChatResult:
    for generation in result.generations:
        generation.message.response_metadata["hybrid"] = meta
    result.llm_output = {**(result.llm_output or {}), "hybrid": meta}
    return result


def _close(iterator: Any) -> None:
    """Close an inner stream so its HTTP connection goes back to the pool at once."""
    close: Callable[[], Any] | None = getattr(iterator, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()


async def _aclose(iterator: Any) -> None:
    close: Callable[[], Any] | None = getattr(iterator, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()
