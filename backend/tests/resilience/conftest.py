"""Fixtures for the resilience tests: both emulators over real HTTP, settings and models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.ai.providers import build_runtime
from app.ai.providers.engine.chat_model import HybridChatModel
from app.core.config import Settings
from emulators import RunningEmulator, start_emulator
from tests.support.settings import clear_inherited_settings, emulator_settings


@pytest.fixture(scope="session")
def _emulators() -> Iterator[dict[str, RunningEmulator]]:
    with start_emulator("openai") as openai, start_emulator("anthropic") as anthropic:
        yield {"openai": openai, "anthropic": anthropic}


@pytest.fixture
def emulators(_emulators: dict[str, RunningEmulator]) -> Iterator[dict[str, RunningEmulator]]:
    """Both emulators, with no faults and no recorded requests (before and after)."""
    for emulator in _emulators.values():
        emulator.reset()
    yield _emulators
    for emulator in _emulators.values():
        emulator.reset()


@pytest.fixture
def resilience_settings(
    emulators: dict[str, RunningEmulator], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Settings]:
    """Settings pointing at the emulators (openai primary); keyword overrides win."""
    clear_inherited_settings(monkeypatch)

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "AI_REQUEST_TIMEOUT": 2.0,
            "AI_REQUEST_DEADLINE": 4.0,
            "AI_CIRCUIT_ENABLED": True,
            "AI_CIRCUIT_MIN_FAILURES": 3,
            "AI_CIRCUIT_COOLDOWN_SECONDS": 0.5,
            "AUTH_MODE": "local-dev",  # these tests are about resilience, not authentication
        }
        return emulator_settings(emulators, **{**values, **overrides})

    return build


def build_model(settings: Settings) -> HybridChatModel:
    """The model of a fresh runtime: its own breaker and hedge policy from `settings`."""
    return build_runtime(settings).model()


def established_connections(port: int) -> int:
    """Client-side TCP connections to `port` on loopback that are ESTABLISHED right now."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port and fields[3] == "01":
                count += 1
    return count
