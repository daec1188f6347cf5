"""Same-wire attempts: an OpenAI-wire request served by an OpenAI-wire member, lean.

When the caller speaks OpenAI's Chat Completions wire and the member serving an attempt
speaks it too, there is nothing to translate: the caller's own request body is what the
provider needs, with the served model and Tandem's limits put in. Going through
`ChatOpenAI._agenerate` would turn that body into LangChain messages and back, have the
SDK re-validate it field by field (`_async_transform_recursive`), build pydantic models
of the answer and hop to a thread pool to convert them -- most of a gateway call's CPU
(docs/BENCHMARKS.md, "Gateway"). So a same-wire attempt sends the body through the
official SDK's own low-level `post` (its auth, headers, base URL, timeouts and typed
errors, on the SDK's aiohttp transport) and reads the answer with LangChain's own
converters (`_create_chat_result`, `_convert_chunk_to_generation_chunk`), which take
the wire's dicts. What comes back is exactly what `ChatOpenAI` would have returned, so
the engine runs every attempt the same way -- plan, classify, record, fail over, guard
streams, continue cut ones -- whichever path an attempt took. Anthropic's Messages wire
has the same path to Anthropic members (`same_wire_anthropic.py`); every other attempt
(across wires, Gemini, a continuation prefill) takes the LangChain path.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import anthropic
import openai
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from openai import AsyncStream

from app.ai.gateway import same_wire_anthropic
from app.ai.providers.adapters.base import Member

#: The wires a gateway request can come in.
OPENAI_WIRE, ANTHROPIC_WIRE = "openai", "anthropic"

#: Request fields that are Tandem's, not OpenAI's: never sent upstream.
TANDEM_FIELDS = ("fallbacks",)
#: The output-limit fields of the Chat Completions wire.
_LIMITS = ("max_tokens", "max_completion_tokens")


class SameWire:
    """Lean same-wire attempts for one gateway; an SDK client per (per-loop) model."""

    def __init__(self) -> None:
        self._clients: dict[tuple[int, int], _Client] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @staticmethod
    def serves(member: Member, wire: str, body: Mapping[str, Any]) -> bool:
        """True when `member` takes the caller's `wire` request `body` as it is."""
        model = member.model
        if wire == ANTHROPIC_WIRE:
            return same_wire_anthropic.serves(model, body)
        return (
            type(model) is ChatOpenAI
            and not model.use_responses_api
            and not model.include_response_headers
        )

    def _client(self, model: ChatOpenAI | ChatAnthropic) -> tuple[Any, str]:
        """The SDK client of `model` (this loop's copy) on the SDK's aiohttp transport,
        and its base URL as a string (ending in "/").

        Why aiohttp: its C parser costs about half of httpx's pure-Python stack per call
        (`benchmarks.bench_gateway`); both SDKs ship it as their documented option for
        concurrency (`openai[aiohttp]` pins `httpx-aiohttp`, which Anthropic's uses too).
        Keyed by the model and the loop, so a client never crosses event loops, and it lives
        exactly as long as that model: when the model is dropped (its member left the
        gateway's cache and no call holds it), the client's connections are closed on
        its loop. A bounded cache that evicted would drop clients a call may still be
        using, or leave their sessions open.

        Why the base URL: the SDK merges a relative path into its base URL by parsing
        both and building a third URL on every call (about 3% of a gateway call's CPU);
        an absolute URL, which `post` takes as it is, is parsed once.
        """
        loop = asyncio.get_running_loop()
        key = (id(model), id(loop))
        entry = self._clients.get(key)
        if entry is not None and entry.model() is model and entry.loop() is loop:
            return entry.client, entry.base
        if isinstance(model, ChatAnthropic):
            root: Any = model._async_client
            client = root.copy(http_client=anthropic.DefaultAioHttpClient(timeout=root.timeout))
        else:
            root = model.root_async_client
            client = root.copy(http_client=openai.DefaultAioHttpClient(timeout=root.timeout))
        base = str(client.base_url)
        base = base if base.endswith("/") else base + "/"
        # The loop is held weakly, here and in the finalizer: the loop keeps the per-loop
        # model alive (`_LoopModels`), so a strong reference would keep both forever.
        loop_ref = weakref.ref(loop)
        finalizer = weakref.finalize(model, _forget, self._clients, self._closing, key, client, loop_ref)
        self._clients[key] = _Client(weakref.ref(model), client, base, loop_ref, finalizer)
        return client, base

    async def aclose(self) -> None:
        """Close every client (app shutdown): those of the running loop here, the others
        on their own loops when these are still running."""
        entries = list(self._clients.values())
        self._clients.clear()
        loop = asyncio.get_running_loop()
        for entry in entries:
            entry.finalizer.detach()
            if entry.loop() is loop:
                await entry.client.close()
            else:
                _close_on(entry.loop(), entry.client, self._closing)
        if self._closing:
            await asyncio.gather(*[t for t in self._closing if t.get_loop() is loop], return_exceptions=True)

    @staticmethod
    def body_for(model: ChatOpenAI, body: Mapping[str, Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The caller's body for this attempt: the served model and Tandem's limits in."""
        sent = {k: v for k, v in body.items() if k not in TANDEM_FIELDS}
        sent["model"] = kwargs.get("model") or model.model_name
        if not any(key in sent for key in _LIMITS):
            limit = next((kwargs[key] for key in _LIMITS if kwargs.get(key) is not None), None)
            if limit is not None:
                sent["max_tokens"] = limit
        if "temperature" not in sent and model.temperature is not None:
            sent["temperature"] = model.temperature
        return sent

    async def agenerate(
        self, member: Member, wire: str, body: Mapping[str, Any], kwargs: Mapping[str, Any]
    ) -> ChatResult:
        """One non-streamed attempt; the result the member's `_agenerate` would return."""
        model = member.async_model()
        if wire == ANTHROPIC_WIRE:
            assert isinstance(model, ChatAnthropic)
            return await same_wire_anthropic.agenerate(*self._client(model), model, body, kwargs)
        assert isinstance(model, ChatOpenAI)
        sent = self.body_for(model, body, kwargs)
        sent.pop("stream", None)
        sent.pop("stream_options", None)
        # `cast_to=object`: the SDK hands over the decoded JSON without building models.
        client, base = self._client(model)
        data = await client.post(
            base + "chat/completions", body=sent, cast_to=object, options={"timeout": kwargs.get("timeout")}
        )
        return model._create_chat_result(cast(dict[str, Any], data))

    def astream(
        self, member: Member, wire: str, body: Mapping[str, Any], kwargs: Mapping[str, Any]
    ) -> AsyncIterator[ChatGenerationChunk]:
        """One streamed attempt; the chunks the member's `_astream` would yield."""
        model = member.async_model()
        if wire == ANTHROPIC_WIRE:
            assert isinstance(model, ChatAnthropic)
            return same_wire_anthropic.astream(*self._client(model), model, body, kwargs)
        assert isinstance(model, ChatOpenAI)
        return self._astream_openai(model, body, kwargs)

    async def _astream_openai(
        self, model: ChatOpenAI, body: Mapping[str, Any], kwargs: Mapping[str, Any]
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Usage is always asked for (the ledger and budgets need it); whether the caller
        sees it is the wire encoder's decision, from the caller's own `stream_options`."""
        sent = self.body_for(model, body, kwargs)
        sent["stream"] = True
        sent["stream_options"] = {**(sent.get("stream_options") or {}), "include_usage": True}
        client, base = self._client(model)
        stream = await client.post(
            base + "chat/completions",
            body=sent,
            cast_to=object,
            stream=True,
            stream_cls=AsyncStream[object],
            options={"timeout": kwargs.get("timeout")},
        )
        chunk_class: type[AIMessageChunk] = AIMessageChunk
        try:
            async for data in stream:
                chunk = model._convert_chunk_to_generation_chunk(cast(dict[str, Any], data), chunk_class, {})
                if chunk is not None:
                    yield chunk
        finally:
            await stream.close()


@dataclass(frozen=True, slots=True)
class _Client:
    model: weakref.ref[Any]
    client: Any
    base: str
    loop: weakref.ref[asyncio.AbstractEventLoop]
    finalizer: weakref.finalize[Any, Any]


def _forget(
    clients: dict[tuple[int, int], _Client],
    closing: set[asyncio.Task[None]],
    key: tuple[int, int],
    client: Any,
    loop: weakref.ref[asyncio.AbstractEventLoop],
) -> None:
    """The model of `client` is gone (GC, any thread): drop its entry, close it on its loop."""
    entry = clients.get(key)
    if entry is not None and entry.client is client:
        del clients[key]
    _close_on(loop(), client, closing)


def _close_on(
    loop: asyncio.AbstractEventLoop | None, client: Any, closing: set[asyncio.Task[None]]
) -> None:
    if loop is None or loop.is_closed():
        return  # its connections went with the loop

    def start() -> None:
        task = loop.create_task(client.close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        loop.call_soon_threadsafe(start)
