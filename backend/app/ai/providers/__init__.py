"""Tandem's provider layer: one LangChain chat model served by several AI providers.

A small library with no knowledge of the web layer. Public surface:
`build_runtime` / `AIRuntime` (one per application), `get_llm_provider`,
`HybridChatModel`, `ProviderError` and the typed errors. See docs/ARCHITECTURE.md.
"""

from app.ai.providers.assembly import build_runtime
from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.errors import (
    DeadlineExceededError,
    HybridProviderError,
    IncompleteStreamError,
    NoProviderAvailableError,
    ProviderError,
    ProviderNotConfiguredError,
    StreamInterruptedError,
)
from app.ai.providers.factory import get_llm_provider
from app.ai.providers.runtime import AIRuntime

__all__ = [
    "AIRuntime",
    "DeadlineExceededError",
    "HybridChatModel",
    "HybridProviderError",
    "IncompleteStreamError",
    "NoProviderAvailableError",
    "ProviderError",
    "ProviderNotConfiguredError",
    "StreamInterruptedError",
    "build_runtime",
    "get_llm_provider",
]
