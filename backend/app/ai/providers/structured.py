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

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import BaseMessage
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnableMap,
)
from langchain_core.runnables.utils import AddableDict

if TYPE_CHECKING:
    from app.ai.providers.hybrid import HybridChatModel


def _parser_for(model: HybridChatModel, message: BaseMessage) -> Runnable[Any, Any]:
    served_by = (message.response_metadata.get("hybrid") or {}).get("provider")
    for member in model.members:
        if member.name == served_by and member.parser is not None:
            return member.parser
    raise ValueError(f"no structured-output parser for provider {served_by!r}")


def structured_output_runnable(
    model: HybridChatModel, bound: Runnable[Any, BaseMessage], include_raw: bool
) -> Runnable[Any, Any]:
    """`bound | parser-of-the-provider-that-answered`, LangChain's include_raw shape kept.

    `model` is the hybrid whose members hold the parsers; `bound` is that model with
    the call's bindings (the traced schema).
    """

    def parse(message: BaseMessage, config: RunnableConfig) -> Any:
        return _parser_for(model, message).invoke(message, config)

    async def aparse(message: BaseMessage, config: RunnableConfig) -> Any:
        return await _parser_for(model, message).ainvoke(message, config)

    if not include_raw:
        return bound | RunnableLambda(parse, afunc=aparse, name="HybridStructuredOutputParser")

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
    return RunnableMap(raw=bound) | parser
