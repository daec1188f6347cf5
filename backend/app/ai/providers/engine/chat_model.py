"""`HybridChatModel`: one LangChain chat model served by several providers in turn.

Each call (invoke, stream, batch and their async forms) is run by the engine
(`engine.py`) under the model's `CallPolicy`: the first provider answers; when it
fails, the call moves to the next *within the same call*. This module is only the
LangChain glue: run metadata, bound tools and structured output.

Inner models are called through their private `_generate`/`_stream` methods with
the outer run manager, so callbacks and tracing fire once per call, not per attempt.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from pydantic import ConfigDict, Field, SkipValidation

from app.ai.providers.adapters.base import Member
from app.ai.providers.engine import engine
from app.ai.providers.engine.call import CallState
from app.ai.providers.engine.policy import CallPolicy
from app.ai.providers.engine.rescue import SentText, acontinue_stream, continue_stream, resumable
from app.ai.providers.engine.structured import structured_output_runnable
from app.ai.providers.errors import StreamInterruptedError
from app.ai.providers.policies.health import ProviderHealth
from app.ai.providers.policies.hedge import HedgePolicy

#: Private keyword carrying the run metadata from `stream`/`astream` to `_stream`.
_RUN_METADATA = "_hybrid_run_metadata"


class HybridChatModel(BaseChatModel):
    """A chat model whose calls fail over between provider members."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    members: SkipValidation[list[Member]]
    """Providers in configured priority order."""
    policy: SkipValidation[CallPolicy] = Field(default_factory=CallPolicy)
    """How calls are run: timeouts, retries, hedging, routing, gates, prices, health."""
    temperature: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    streaming: bool = False

    @property
    def health(self) -> ProviderHealth:
        """The provider health (circuit breakers) this model's calls report to."""
        return self.policy.health

    @property
    def hedge(self) -> HedgePolicy:
        return self.policy.hedge

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

    def _get_invocation_params(self, stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        # The private run-metadata keyword is our plumbing, not an invocation parameter:
        # LangChain builds callbacks' `invocation_params` and `options` (and the cache key)
        # from what this returns, so it must not show there (issue 14).
        kwargs.pop(_RUN_METADATA, None)
        return super()._get_invocation_params(stop=stop, **kwargs)

    # -- calls ---------------------------------------------------------------

    def start_call(
        self,
        messages: list[BaseMessage],
        metadata: Mapping[str, Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
    ) -> CallState:
        """The state of one call on this model's members, under its policy."""
        return CallState(
            self.policy,
            self.members,
            messages,
            metadata,
            kwargs,
            defaults={"temperature": self.temperature, "max_tokens": self.max_tokens},
        )

    def _start(self, messages: list[BaseMessage], run_manager: Any, kwargs: dict[str, Any]) -> CallState:
        streamed_metadata = kwargs.pop(_RUN_METADATA, None)
        metadata = getattr(run_manager, "metadata", None) or streamed_metadata
        return self.start_call(messages, metadata, kwargs)

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
    ) -> AsyncGenerator[AIMessageChunk, None]:
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
        stop = stop or self.stop
        return engine.generate(
            call, lambda m, kw: m.model._generate(messages, stop=stop, run_manager=run_manager, **kw)
        )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await self.agenerate_call(
            self._start(messages, run_manager, kwargs), messages, stop or self.stop, run_manager
        )

    async def agenerate_call(
        self,
        call: CallState,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        send: engine.AsyncSend | None = None,
    ) -> ChatResult:
        """Run `call` (from `start_call`) without LangChain's callback machinery when
        `run_manager` is None: messages and params in, the annotated result out.

        `send(member, kwargs)` replaces the inner models' `_agenerate` for callers that
        reach a provider another way (the gateway's same-wire attempts)."""
        return await engine.agenerate(
            call,
            send
            or (lambda m, kw: m.async_model()._agenerate(messages, stop=stop, run_manager=run_manager, **kw)),
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        call = self._start(messages, run_manager, kwargs)
        stop = stop or self.stop
        sent = SentText()
        try:
            for chunk in engine.stream(call, lambda m, kw: m.model._stream(messages, stop=stop, **kw)):
                yield sent.see(chunk)
        except StreamInterruptedError as cut:
            if not self._may_continue(call, sent, cut):
                raise
            yield from continue_stream(
                call, messages, sent, cut, lambda m, prefill, kw: m.model._stream(prefill, stop=stop, **kw)
            )

    def _may_continue(self, call: CallState, sent: SentText, cut: StreamInterruptedError) -> bool:
        """`AI_STREAM_RESUME=auto` and a cut the continuation rules accept (`rescue.py`);
        otherwise the cut is logged as the call's end and re-raised."""
        policy = self.policy
        if call.resume and resumable(sent, cut, after_filter=policy.failover_on_content_filter):
            return True
        if call.resume:
            call.log_interrupted()
        return False

    def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        return self.astream_call(self._start(messages, run_manager, kwargs), messages, stop or self.stop)

    async def astream_call(
        self,
        call: CallState,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        open_stream: engine.AsyncOpenStream | None = None,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Stream `call` (from `start_call`) without LangChain's callback machinery; a
        stream cut after content is continued on a capable provider (`rescue.py`).

        `open_stream(member, kwargs)` replaces the inner models' `_astream` for the
        attempts (not for continuations, which always send a prefill)."""
        sent = SentText()
        opener = open_stream or (lambda m, kw: m.async_model()._astream(messages, stop=stop, **kw))
        try:
            async for chunk in engine.astream(call, opener):
                yield sent.see(chunk)
        except StreamInterruptedError as cut:
            if not self._may_continue(call, sent, cut):
                raise
            continued = acontinue_stream(
                call, messages, sent, cut,
                lambda m, prefill, kw: m.async_model()._astream(prefill, stop=stop, **kw),
            )
            async for chunk in continued:
                yield chunk

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
        return self.with_tools(tools, tool_choice=tool_choice, **kwargs).bind()

    def with_tools(
        self, tools: Sequence[Any], *, tool_choice: str | dict[str, Any] | bool | None = None, **kwargs: Any
    ) -> HybridChatModel:
        """A copy whose members have `tools` bound -- still a `HybridChatModel`, so the
        provider layer's own helpers (`completion.astream_whole`) can pick its members."""
        extra = {"tool_choice": tool_choice} if tool_choice is not None else {}
        return self.with_members([m.bind_tools(tools, **extra, **kwargs) for m in self.members])

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
        # Each member binds the schema with its own method when a call first reaches it
        # (`Member.with_structured_output` is lazy): a secondary that never serves costs
        # nothing and warns about nothing.
        members = [m.with_structured_output(schema, **options) for m in self.members]
        hybrid = self.with_members(members)
        # The members' own `ls_structured_output_format` never leaves `call.py`; the outer
        # run carries it, so callbacks and LangSmith see the schema once per call.
        traced = {"method": method, "strict": strict}
        bound = hybrid.bind(
            ls_structured_output_format={
                "kwargs": {k: v for k, v in traced.items() if v is not None},
                "schema": schema,
            }
        )
        limit = self.max_tokens or self.policy.max_output_tokens
        return structured_output_runnable(bound, members, include_raw, limit)
