"""Structured output that still fails over.

Each provider binds the schema with its own native method (`Member.with_structured_output`)
and keeps its own parser. The answer says which provider served it, and that
provider's parser reads it -- an OpenAI json_schema answer and an Anthropic tool call
need different parsing, which is why LangChain's `with_fallbacks` cannot do this.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableMap,
    RunnablePassthrough,
)

if TYPE_CHECKING:
    from app.ai.providers.hybrid import HybridChatModel


def _parser_for(model: HybridChatModel, message: BaseMessage) -> Runnable[Any, Any]:
    served_by = (message.response_metadata.get("hybrid") or {}).get("provider")
    for member in model.members:
        if member.name == served_by and member.parser is not None:
            return member.parser
    raise ValueError(f"no structured-output parser for provider {served_by!r}")


def structured_output_runnable(model: HybridChatModel, include_raw: bool) -> Runnable[Any, Any]:
    """`model | parser-of-the-provider-that-answered`, LangChain's include_raw shape kept."""

    def parse(message: BaseMessage, config: RunnableConfig) -> Any:
        return _parser_for(model, message).invoke(message, config)

    async def aparse(message: BaseMessage, config: RunnableConfig) -> Any:
        return await _parser_for(model, message).ainvoke(message, config)

    parser = RunnableLambda(parse, afunc=aparse, name="HybridStructuredOutputParser")
    if not include_raw:
        return model | parser
    parser_assign = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = parser_assign.with_fallbacks([parser_none], exception_key="parsing_error")
    return RunnableMap(raw=model) | with_fallback
