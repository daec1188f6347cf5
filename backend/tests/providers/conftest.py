"""Helpers for driving the hybrid model against the two emulators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from app.ai.providers.engine.chat_model import HybridChatModel
from app.ai.providers.factory import get_llm_provider
from app.core.config import Settings
from emulators import RunningEmulator

DIRECTIONS = ["openai->anthropic", "anthropic->openai"]


@dataclass
class Pair:
    """A hybrid model plus the emulators behind its primary and secondary."""

    model: HybridChatModel
    primary: RunningEmulator
    secondary: RunningEmulator
    primary_name: str
    secondary_name: str
    settings: Settings


@pytest.fixture
def make_pair(
    emulator_settings: Callable[..., Settings],
    openai_emulator: RunningEmulator,
    anthropic_emulator: RunningEmulator,
) -> Callable[..., Pair]:
    """`make_pair("openai->anthropic", fallback=None, **settings_overrides)`."""
    emulators = {"openai": openai_emulator, "anthropic": anthropic_emulator}

    def build(direction: str, fallback: bool | None = None, **overrides: Any) -> Pair:
        primary, secondary = direction.split("->")
        overrides.setdefault("AI_BACKOFF_BASE", 0.01)
        overrides.setdefault("AI_BACKOFF_MAX", 0.05)
        settings = emulator_settings(
            AI_PROVIDER=primary, AI_FALLBACK_PROVIDER=secondary, **overrides
        )
        model = get_llm_provider(fallback, settings=settings)
        return Pair(model, emulators[primary], emulators[secondary], primary, secondary, settings)

    return build
