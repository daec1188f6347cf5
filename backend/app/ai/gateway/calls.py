"""The gateway's calls: a provider-neutral request served by the hybrid model for its route.

Both wires translate their request into a `ChatRequest` (LangChain messages plus the few
options every provider shares), so which wire a caller speaks and which provider serves
it are independent. Each provider's own LangChain integration turns the request into
that provider's API call (`bind_tools`, native structured output), so tool schemas and
content parts are translated by the maintained libraries, not here.

Every call runs through `get_llm_provider()`'s `HybridChatModel` -- failover, circuits,
budgets, deadlines, hedging, observers -- with the route's members swapped in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_openai.chat_models.base import BaseChatOpenAI

from app.ai.gateway.routes import ResolvedRoute, RouteTable, Target
from app.ai.gateway.same_wire import OPENAI_WIRE, SameWire
from app.ai.providers import AIRuntime
from app.ai.providers.adapters.base import Member
from app.ai.providers.assembly import adapter_for, provider_config, provider_order
from app.ai.providers.engine.call import CallState
from app.ai.providers.errors import ProviderError, ProviderNotConfiguredError
from app.ai.providers.hybrid import HybridChatModel
from app.ai.providers.records import Attempt
from app.core.config import Settings

#: LangChain's `response_metadata["model_provider"]` of each integration family.
OPENAI_KIND, ANTHROPIC_KIND, GOOGLE_KIND = "openai", "anthropic", "google_genai"


@dataclass(frozen=True, slots=True)
class JsonFormat:
    """A structured-output request: OpenAI's `response_format` / Anthropic's `output_config`."""

    kind: str  # "json_schema" | "json_object"
    schema: dict[str, Any] = field(default_factory=dict)
    name: str = "response"
    strict: bool | None = None

    def openai_response_format(self) -> dict[str, Any]:
        if self.kind == "json_object":
            return {"type": "json_object"}
        spec: dict[str, Any] = {"name": self.name, "schema": self.schema}
        if self.strict is not None:
            spec["strict"] = self.strict
        return {"type": "json_schema", "json_schema": spec}


@dataclass(slots=True)
class ChatRequest:
    """What a wire request asks for, in provider-neutral (LangChain) terms."""

    model: str
    messages: list[BaseMessage]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | None = None
    """Normalised: `auto`, `none`, `required`, or a tool's name."""
    json_format: JsonFormat | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Sampling options every provider shares: temperature, top_p, max_tokens."""
    stop: list[str] | None = None
    user: str | None = None
    fallbacks: list[str] | None = None
    stream: bool = False
    wire_body: dict[str, Any] | None = None
    """The caller's body, validated: what a same-wire attempt sends as it is."""
    wire: str = OPENAI_WIRE
    """The wire `wire_body` is in (`same_wire.OPENAI_WIRE` / `ANTHROPIC_WIRE`)."""


def member_kind(member: Member) -> str:
    """The integration family serving `member` (what its chunks' `model_provider` says)."""
    if isinstance(member.model, ChatAnthropic):
        return ANTHROPIC_KIND
    if isinstance(member.model, BaseChatOpenAI):
        return OPENAI_KIND
    return GOOGLE_KIND


def _tool_choice_for(kind: str, choice: str) -> str | dict[str, Any]:
    """The normalised tool choice in the form each integration's `bind_tools` takes."""
    if kind == ANTHROPIC_KIND:
        named = {"auto": {"type": "auto"}, "none": {"type": "none"}, "required": {"type": "any"}}
        return named.get(choice, {"type": "tool", "name": choice})
    if kind == GOOGLE_KIND:
        return {"required": "any"}.get(choice, choice)
    return choice


@dataclass(slots=True)
class PreparedCall:
    """A request bound to its route's hybrid model, ready to invoke or stream."""

    request: ChatRequest
    route: ResolvedRoute
    model: HybridChatModel
    config: RunnableConfig
    same_wire: SameWire
    call: CallState | None = None
    """The engine's state of this call, once `invoke` or `stream` started it."""

    @property
    def attempts(self) -> list[Attempt]:
        """The attempts the call has made so far (a failed one included).

        A stream's headers go out with its first token, before the hybrid's closing
        metadata: this is how the gateway knows by then which providers already failed.
        """
        return list(self.call.attempts) if self.call is not None else []

    # The gateway is a server, not a LangChain application: it runs the engine through
    # its explicit entry points (`start_call` / `agenerate_call` / `astream_call`),
    # without LangChain's per-call callback and tracing machinery, which costs more CPU
    # than the rest of a gateway call together (docs/BENCHMARKS.md). Failover,
    # observers, the ledger and metrics all run in the engine.
    def _start(self) -> CallState:
        metadata = dict(self.config.get("metadata") or {})
        self.call = self.model.start_call(self.request.messages, metadata, dict(self.request.options))
        return self.call

    @property
    def _stop(self) -> list[str] | None:
        return self.request.stop or self.model.stop

    # Each attempt goes the same-wire way when its member speaks the caller's wire
    # (`same_wire.py`), the translated way (the member's LangChain model) otherwise.
    async def _send(self, member: Member, kwargs: dict[str, Any]) -> ChatResult:
        body, wire = self.request.wire_body, self.request.wire
        if body is not None and self.same_wire.serves(member, wire, body):
            return await self.same_wire.agenerate(member, wire, body, kwargs)
        return await member.async_model()._agenerate(self.request.messages, stop=self._stop, **kwargs)

    def _open(self, member: Member, kwargs: dict[str, Any]) -> AsyncIterator[ChatGenerationChunk]:
        body, wire = self.request.wire_body, self.request.wire
        if body is not None and self.same_wire.serves(member, wire, body):
            return self.same_wire.astream(member, wire, body, kwargs)
        return member.async_model()._astream(self.request.messages, stop=self._stop, **kwargs)

    async def invoke(self) -> AIMessage:
        call = self._start()
        result = await self.model.agenerate_call(call, self.request.messages, self._stop, send=self._send)
        answer = result.generations[0].message
        assert isinstance(answer, AIMessage)
        return answer

    async def stream(self) -> AsyncIterator[AIMessageChunk]:
        chunks = self.model.astream_call(self._start(), self.request.messages, self._stop, self._open)
        try:
            async for chunk in chunks:
                assert isinstance(chunk.message, AIMessageChunk)
                yield chunk.message
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    def serving_member(self, chunk: AIMessageChunk) -> Member | None:
        """The member whose stream `chunk` (the first with content) comes from.

        The members not failed so far whose integration family matches the chunk's
        `model_provider`, first in route order; the hybrid's closing metadata confirms it.
        """
        kind = chunk.response_metadata.get("model_provider")
        failed = {a.provider for a in self.attempts if not a.ok}
        candidates = [m for m in self.model.members if kind is None or member_kind(m) == kind]
        fresh = [m for m in candidates if m.name not in failed]
        if fresh:
            return fresh[0]
        return candidates[-1] if candidates else None


@dataclass(frozen=True, slots=True)
class _KeptHybrid:
    """A kept copy of `base` with a route's members; `base` is held so its id stays its own."""

    base: HybridChatModel
    model: HybridChatModel


class Gateway:
    """The gateway of one app: its route table and the provider members routes use."""

    _MEMBER_CACHE = 64

    def __init__(self, settings: Settings, runtime: AIRuntime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.routes = RouteTable(settings, provider_order(settings))
        self._members: OrderedDict[Target, Member | None] = OrderedDict()
        self._hybrids: OrderedDict[tuple[int, ...], _KeptHybrid] = OrderedDict()
        self._lock = threading.Lock()
        self.same_wire = SameWire()

    @property
    def base(self) -> HybridChatModel:
        """The app runtime's hybrid model (policies, observers, health)."""
        return self.runtime.model()

    def member(self, target: Target) -> Member | None:
        """The member serving `target`, or None when its provider has no key."""
        with self._lock:
            if target in self._members:
                self._members.move_to_end(target)
                return self._members[target]
        built = self._build_member(target)
        with self._lock:
            self._members[target] = built
            while len(self._members) > self._MEMBER_CACHE:
                self._members.popitem(last=False)
        return built

    def _build_member(self, target: Target) -> Member | None:
        adapter = adapter_for(target.provider, self.settings)
        config = provider_config(target.provider, adapter, self.settings)
        if not adapter.is_configured(config):
            return None
        if target.model is None or target.model == config.model:
            shared = next((m for m in self.base.members if m.name == target.provider), None)
            if shared is not None:
                return shared
        else:
            config = replace(config, model=target.model)
        return Member(target.provider, adapter.build(config), adapter)

    def _hybrid(self, members: list[Member]) -> HybridChatModel:
        """The app's hybrid model with `members` as they are, one copy kept per member list.

        Why: a route's members are the same objects call after call (`member` caches
        them), and copying the pydantic model per request was ~1% of a gateway call's
        CPU. A request with tools or a format binds its own members and is not kept.
        """
        base = self.base
        # An entry holds its base and (through the copy) its members, so no other object
        # can take one of the ids in its key while it is kept.
        key = (id(base), *map(id, members))
        with self._lock:
            kept = self._hybrids.get(key)
            if kept is not None:
                self._hybrids.move_to_end(key)
                return kept.model
        model = base.with_members(members)
        with self._lock:
            self._hybrids[key] = _KeptHybrid(base, model)
            while len(self._hybrids) > self._MEMBER_CACHE:
                self._hybrids.popitem(last=False)
        return model

    def prepare(self, request: ChatRequest, metadata: Mapping[str, Any]) -> PreparedCall:
        """Resolve the route (UnknownModelError: 404) and bind the request to its members."""
        route = self.routes.resolve(request.model, request.fallbacks)
        members = [m for t in route.targets if (m := self.member(t)) is not None]
        if not members:
            missing = [
                s for t in route.targets for s in adapter_for(t.provider, self.settings).required_settings
            ]
            cause = ProviderNotConfiguredError(missing)
            raise ProviderError(str(cause), [cause])
        bound = [_bound(m, request) for m in members]
        model = self._hybrid(members) if bound == members else self.base.with_members(bound)
        run_metadata: dict[str, Any] = {"feature": "gateway", "route": route.name, **metadata}
        if request.user:
            run_metadata.setdefault("user_id", request.user)
        config: RunnableConfig = {"metadata": run_metadata}
        return PreparedCall(request, route, model, config, self.same_wire)


def _bound(member: Member, request: ChatRequest) -> Member:
    """`member` with the request's tools and structured-output format, bound natively."""
    kind = member_kind(member)
    if request.tools:
        extra = {}
        if request.tool_choice is not None:
            extra["tool_choice"] = _tool_choice_for(kind, request.tool_choice)
        member = member.bind_tools(request.tools, **extra)
    fmt = request.json_format
    if fmt is not None:
        if kind == OPENAI_KIND:
            member = member.with_binding(
                member.model.bind(response_format=fmt.openai_response_format()), member.parser
            )
        else:
            schema = fmt.schema if fmt.kind == "json_schema" else {"type": "object"}
            schema = {"title": fmt.name, **schema} if "title" not in schema else schema
            # The provider's own native method; its parser is not used (the wire answer is the
            # JSON text itself), the binding keeps the member's per-loop clients.
            member = member.with_structured_output(schema, method="json_schema")
    return member
