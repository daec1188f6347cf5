"""Structured output that still fails over.

Each provider binds the schema with its own native method (`Member.with_structured_output`)
and keeps its own parser. The answer says which provider served it, and that
provider's parser reads it -- an OpenAI json_schema answer and an Anthropic tool call
need different parsing, which is why LangChain's `with_fallbacks` cannot do this.

With `include_raw=True` a parse failure is an answer, not an exception, on every path:
`invoke` and `stream` alike end with `parsed=None` and the error in `parsing_error`,
the shape `ChatOpenAI` gives (a stream cannot fall back once the raw chunks went out,
so LangChain's `with_fallbacks` composition would raise there).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, cast

from langchain_core.messages import BaseMessage
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnableMap,
)
from langchain_core.runnables.utils import AddableDict

from app.ai.providers.adapters.base import Member
from app.ai.providers.errors import OutputTruncatedError, ProviderError
from app.ai.providers.policies.classification import OUTPUT_LIMIT


def _parser_for(members: Sequence[Member], message: BaseMessage) -> Runnable[Any, Any]:
    meta = message.response_metadata.get("hybrid") or {}
    served_by = meta.get("provider")
    if meta.get("truncated"):  # half a JSON object or tool call is never a success
        raise OutputTruncatedError(str(served_by), meta.get("output_limits") or [None])
    for member in members:
        if member.name == served_by and member.parser is not None:
            return member.parser
    raise ValueError(f"no structured-output parser for provider {served_by!r}")


def _only_output_limit(error: ProviderError) -> bool:
    """Every attempt failed because the output limit cut the structured answer."""
    return bool(error.attempts) and all(a.reason == OUTPUT_LIMIT for a in error.attempts)


class _LargerLimitOnce(Runnable[Any, BaseMessage]):
    """`model`, asked once more at twice the output limit when that limit cut the
    structured answer -- as a `truncated` answer (Anthropic's cut tool call, Gemini) or
    as every provider's `output_limit` failure (OpenAI's SDK refuses to parse one).

    Invocations only: a stream has already sent its raw chunks, so a cut stream goes
    straight to the parser step, which refuses it (`OutputTruncatedError`).
    """

    def __init__(self, model: Runnable[Any, BaseMessage], limit: int) -> None:
        self.model = model
        self.limit = limit

    def _larger(self) -> Runnable[Any, BaseMessage]:
        return self.model.bind(max_tokens=self.limit * 2)

    def _mark(self, message: BaseMessage) -> BaseMessage:
        meta = message.response_metadata.get("hybrid")
        if meta is not None:  # the limits tried, for the error that names them
            meta["output_limits"] = [self.limit, self.limit * 2]
        return message

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> BaseMessage:
        try:
            first: BaseMessage | ProviderError = self.model.invoke(input, config, **kwargs)
        except ProviderError as error:
            first = error
        return _standing(first) or self._mark(self._larger().invoke(input, config, **kwargs))

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> BaseMessage:
        try:
            first: BaseMessage | ProviderError = await self.model.ainvoke(input, config, **kwargs)
        except ProviderError as error:
            first = error
        return _standing(first) or self._mark(await self._larger().ainvoke(input, config, **kwargs))

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[BaseMessage]:
        yield from self.model.stream(input, config, **kwargs)

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[BaseMessage]:
        async for chunk in self.model.astream(input, config, **kwargs):
            yield chunk


def _standing(first: BaseMessage | ProviderError) -> BaseMessage | None:
    """The one decision of `_LargerLimitOnce`: the first answer when it stands, None when
    the output limit cut it (ask again, larger); any other failure is raised."""
    if isinstance(first, ProviderError):
        if _only_output_limit(first):
            return None
        raise first
    return None if (first.response_metadata.get("hybrid") or {}).get("truncated") else first


def structured_output_runnable(
    model: Runnable[Any, BaseMessage], members: Sequence[Member], include_raw: bool, limit: int | None = None
) -> Runnable[Any, Any]:
    """`model | parser-of-the-provider-that-answered`, LangChain's include_raw shape kept.

    `members` are the model's members, each carrying its own provider's parser; `model`
    is the hybrid with the call's bindings (the traced schema). A structured answer cut
    by the output limit (`limit`, the one every request carries) is asked for once more
    at twice the limit; cut again, it is an `OutputTruncatedError`, never a parse.
    """
    if limit:
        model = _LargerLimitOnce(model, limit)

    def parse(message: BaseMessage, config: RunnableConfig) -> Any:
        return _parser_for(members, message).invoke(message, config)

    async def aparse(message: BaseMessage, config: RunnableConfig) -> Any:
        return await _parser_for(members, message).ainvoke(message, config)

    if not include_raw:
        return model | RunnableLambda(parse, afunc=aparse, name="HybridStructuredOutputParser")

    def parsed_part(message: BaseMessage, config: RunnableConfig) -> AddableDict:
        try:
            return AddableDict(parsed=parse(message, config), parsing_error=None)
        except Exception as error:
            return AddableDict(parsed=None, parsing_error=error)

    async def aparsed_part(message: BaseMessage, config: RunnableConfig) -> AddableDict:
        try:
            return AddableDict(parsed=await aparse(message, config), parsing_error=None)
        except Exception as error:
            return AddableDict(parsed=None, parsing_error=error)

    def transform(chunks: Iterator[dict[str, Any]], config: RunnableConfig) -> Iterator[AddableDict]:
        full: Any = None
        for chunk in chunks:
            full = chunk["raw"] if full is None else full + chunk["raw"]
            yield AddableDict(chunk)
        if full is not None:
            yield parsed_part(full, config)

    async def atransform(
        chunks: AsyncIterator[dict[str, Any]], config: RunnableConfig
    ) -> AsyncIterator[AddableDict]:
        full: Any = None
        async for chunk in chunks:
            full = chunk["raw"] if full is None else full + chunk["raw"]
            yield AddableDict(chunk)
        if full is not None:
            yield await aparsed_part(full, config)

    parser: Runnable[Any, Any] = RunnableGenerator(
        cast(Any, transform), cast(Any, atransform), name="HybridStructuredOutputParser"
    )
    return RunnableMap(raw=model) | parser


class StructuredOutputs:
    """LRU of `model.with_structured_output(schema, include_raw=True)` by (model, schema).

    Binding a schema to every provider costs milliseconds, and the ranking features ask
    for the same few schemas on every request, so the runtime keeps one memo. Keyed on
    the model's identity; the entry keeps the model alive, so its id cannot be reused
    while cached. Thread-safe; building happens outside the lock (two racing builds of
    the same key are harmless: equivalent runnables, the last one stays).
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, Any], tuple[Any, Runnable[Any, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, model: Any, schema: Any) -> Runnable[Any, Any]:
        key = (id(model), schema)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is model:
                self._entries.move_to_end(key)
                return entry[1]
        runnable: Runnable[Any, Any] = model.with_structured_output(schema, include_raw=True)
        with self._lock:
            self._entries[key] = (model, runnable)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            self.builds += 1
        return runnable

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
