"""Fixtures for issue 6: Gemini and OpenAI-compatible emulators next to the brief's two.

Every provider is a real emulator reached over HTTP by its official SDK. Two OpenAI
emulators stand in for two OpenAI-compatible endpoints (say Groq and a local Ollama),
told apart by the model each instance is configured with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.factory import get_llm_provider
from app.core.config import Settings
from emulators import RunningEmulator
from tests.support.emulator_fixtures import emulator_fixtures
from tests.support.settings import clear_inherited_settings, emulator_settings

GROQ_MODEL = "llama-3.1-8b-instant"
OLLAMA_MODEL = "qwen2.5:7b"


# `gemini_emulator.base_url` is the root the SDK appends `/v1beta` to; `compat_emulator`
# is a second OpenAI-wire emulator, for a second OpenAI-compatible endpoint.
_gemini_emulator_session, gemini_emulator = emulator_fixtures("gemini", "gemini_emulator")
_compat_emulator_session, compat_emulator = emulator_fixtures("openai", "compat_emulator")


@pytest.fixture
def emulators(
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
    gemini_emulator: RunningEmulator,
    compat_emulator: RunningEmulator,
) -> dict[str, RunningEmulator]:
    """Emulator behind each provider name the settings below configure."""
    return {
        "openai": openai_emulator,
        "anthropic": anthropic_emulator,
        "gemini": gemini_emulator,
        "groq": openai_emulator,
        "ollama": compat_emulator,
    }


@pytest.fixture
def make_settings(
    monkeypatch: pytest.MonkeyPatch, emulators: dict[str, RunningEmulator]
) -> Callable[..., Settings]:
    """Settings for every provider on the emulators; keyword overrides win.

    `groq` and `ollama` are OpenAI-compatible instances: `groq` shares the OpenAI
    emulator (as a hosted endpoint would share the wire format), `ollama` has its own.
    """
    clear_inherited_settings(monkeypatch)

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "AI_OPENAI_COMPATIBLE": [
                {
                    "name": "groq",
                    "base_url": emulators["groq"].base_url,
                    "api_key": "gsk_test",
                    "model": GROQ_MODEL,
                },
                {"name": "ollama", "base_url": emulators["ollama"].base_url, "model": OLLAMA_MODEL},
            ],
            "AI_REQUEST_TIMEOUT": 2.0,
            "AI_REQUEST_DEADLINE": 5.0,
            "AI_BACKOFF_BASE": 0.01,
            "AI_BACKOFF_MAX": 0.05,
            "AI_CIRCUIT_ENABLED": False,
        }
        providers = {name: emulators[name] for name in ("openai", "anthropic", "gemini")}
        return emulator_settings(providers, **{**values, **overrides})

    return build


@pytest.fixture
def make_model(make_settings: Callable[..., Settings]) -> Callable[..., HybridChatModel]:
    """`make_model("gemini", "openai,anthropic", **overrides)`: the factory's model."""

    def build(primary: str, fallback: str | None = None, **overrides: Any) -> HybridChatModel:
        settings = make_settings(AI_PROVIDER=primary, AI_FALLBACK_PROVIDER=fallback or "", **overrides)
        return get_llm_provider(settings=settings)

    return build


def hybrid(message: Any) -> dict[str, Any]:
    """The `hybrid` metadata of an answer."""
    meta: dict[str, Any] = message.response_metadata["hybrid"]
    return meta


def outcomes(message: Any) -> list[tuple[str, str]]:
    """(provider, outcome) of each attempt, in order."""
    return [(a["provider"], a["outcome"]) for a in hybrid(message)["attempts"]]
