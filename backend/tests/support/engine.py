"""Members and policies for engine unit tests: real adapters, no HTTP, no LangChain callbacks."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from app.ai.providers.adapters.base import Member
from app.ai.providers.adapters.openai import ADAPTER


def members(*names: str) -> list[Member]:
    """Members with OpenAI's adapter (classification, stream marker) and an inert model:
    the engine is driven through the `send` callables the tests pass, not the model."""
    return [Member(name, FakeListChatModel(responses=["unused"]), ADAPTER) for name in names]


def answer(text: str) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def chunk(text: str, *, last: bool = False) -> ChatGenerationChunk:
    meta = {"finish_reason": "stop"} if last else {}
    return ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=meta))
