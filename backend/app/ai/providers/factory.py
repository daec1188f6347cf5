"""`get_llm_provider`: the brief's factory, returning a model that really fails over.

The brief's sketch only fell back when a client could not be *built*; the returned
`HybridChatModel` fails over whenever a *call* fails, per request, with no restart.
Missing keys are handled at build time: a primary without a key is skipped (one
warning) when the fallback has one; with no key at all the model still builds, so the
service starts, and each call raises a `ProviderError` naming the settings to set.
The building itself is `assembly.py`'s; this module keeps the brief's import path.
"""

from __future__ import annotations

from app.ai.providers.assembly import (
    adapter_for,
    check_registry,
    describe_configuration,
    get_llm_provider,
    provider_order,
)
from app.ai.providers.errors import ProviderError

__all__ = [
    "ProviderError",
    "adapter_for",
    "check_registry",
    "describe_configuration",
    "get_llm_provider",
    "provider_order",
]
