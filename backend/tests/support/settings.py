"""The one settings builder of the suite: providers pointed at the emulators.

Why one: every suite (features, resilience, providers, security, gateway) needs settings
whose provider keys are fake and whose base URLs are the running emulators. Three
fixtures used to spell that dict out each; a new provider setting had to be added three
times. The fixtures now pass only what their suite tunes (timeouts, circuits, auth).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest

from app.core.config import Settings, load_settings
from emulators import RunningEmulator

#: Settings of the environment the suite must not inherit from a developer's shell.
INHERITED_PREFIXES = ("AI_", "OPENAI_", "ANTHROPIC_", "GEMINI_")

#: (key setting, fake key, base-URL setting) per provider emulator.
_PROVIDERS = {
    "openai": ("OPENAI_API_KEY", "sk-test-openai", "OPENAI_BASE_URL"),
    "anthropic": ("ANTHROPIC_API_KEY", "sk-ant-test-anthropic", "ANTHROPIC_BASE_URL"),
    "gemini": ("GEMINI_API_KEY", "AIza-test-gemini", "GEMINI_BASE_URL"),
}


def clear_inherited_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove AI settings inherited from the shell, so a test sees only its own."""
    for name in list(os.environ):
        if name.startswith(INHERITED_PREFIXES):
            monkeypatch.delenv(name, raising=False)


def emulator_settings(emulators: Mapping[str, RunningEmulator], **overrides: Any) -> Settings:
    """Settings whose providers are `emulators` (by provider name: openai, anthropic,
    gemini), with fake keys and failover-first retries; keyword overrides win.

    `AI_RETRY_WAIT_MAX=0`: the suites test failover; blip retries are tested on their own.
    """
    values: dict[str, Any] = {
        "AI_REQUEST_TIMEOUT": 5.0,
        "AI_REQUEST_DEADLINE": 10.0,
        "AI_RETRY_WAIT_MAX": 0.0,
        "_env_file": None,
    }
    for provider, emulator in emulators.items():
        key_setting, key, url_setting = _PROVIDERS[provider]
        values[key_setting] = key
        values[url_setting] = emulator.base_url
    values.update(overrides)
    return load_settings(**values)
