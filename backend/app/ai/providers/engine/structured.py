"""Structured output that still fails over.

Each provider binds the schema with its own native method (`Member.with_structured_output`)
and keeps its own parser. The answer says which provider served it, and that
provider's parser reads it -- an OpenAI json_schema answer and an Anthropic tool call
need different parsing, which is why LangChain's `with_fallbacks` cannot do this.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableMap,
    RunnablePassthrough,
)

from app.ai.providers.adapters.base import Member


def _parser_for(members: Sequence[Member], message: BaseMessage) -> Runnable[Any, Any]:
    served_by = (message.response_metadata.get("hybrid") or {}).get("provider")
    for member in members:
        if member.name == served_by and member.parser is not None:
            return member.parser
    raise ValueError(f"no structured-output parser for provider {served_by!r}")


def structured_output_runnable(
    model: Runnable[Any, BaseMessage], members: Sequence[Member], include_raw: bool
) -> Runnable[Any, Any]:
    """`model | parser-of-the-provider-that-answered`, LangChain's include_raw shape kept.

    `members` are the model's members, each carrying its own provider's parser.
    """

    def parse(message: BaseMessage, config: RunnableConfig) -> Any:
        return _parser_for(members, message).invoke(message, config)

    async def aparse(message: BaseMessage, config: RunnableConfig) -> Any:
        return await _parser_for(members, message).ainvoke(message, config)

    parser = RunnableLambda(parse, afunc=aparse, name="HybridStructuredOutputParser")
    if not include_raw:
        return model | parser
    parser_assign = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = parser_assign.with_fallbacks([parser_none], exception_key="parsing_error")
    return RunnableMap(raw=model) | with_fallback


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
