"""Tandem's provider layer: one LangChain chat model served by several AI providers.

A small library with no knowledge of the web layer. Public surface:
`get_llm_provider`, `HybridChatModel`, `ProviderError` and the typed errors.
"""

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
from app.ai.providers.hybrid import HybridChatModel

__all__ = [
    "DeadlineExceededError",
    "HybridChatModel",
    "HybridProviderError",
    "IncompleteStreamError",
    "NoProviderAvailableError",
    "ProviderError",
    "ProviderNotConfiguredError",
    "StreamInterruptedError",
    "get_llm_provider",
]
