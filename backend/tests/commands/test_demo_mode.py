"""`serve --emulators`: a hung primary fails over in seconds, not after the 60 s default."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from app.ai.providers.factory import get_llm_provider
from app.commands.demo_mode import start_demo_emulators
from app.core.config import load_settings
from emulators import Fault, RunningEmulator

DEMO_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL",
            "AI_REQUEST_TIMEOUT", "AI_REQUEST_DEADLINE")


@pytest.fixture
def demo(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RunningEmulator]]:
    for name in DEMO_ENV:
        monkeypatch.delenv(name, raising=False)
    emulators = start_demo_emulators(settings=load_settings(_env_file=None))
    yield emulators
    for emulator in emulators:
        emulator.stop()
    for name in DEMO_ENV:  # start_demo_emulators wrote them; monkeypatch restores the rest
        os.environ.pop(name, None)


def test_demo_mode_fails_over_from_a_hung_primary_within_seconds(
    capsys: pytest.CaptureFixture[str], demo: list[RunningEmulator]
) -> None:
    settings = load_settings(_env_file=None)
    assert settings.AI_REQUEST_TIMEOUT <= 5 and settings.AI_REQUEST_DEADLINE <= 30
    assert "demo timeouts" in capsys.readouterr().out
    demo[0].faults.set_default(Fault(hang=True))
    started = time.monotonic()
    answer = get_llm_provider(settings=settings).invoke("hello")
    elapsed = time.monotonic() - started
    assert answer.response_metadata["hybrid"]["provider"] == "anthropic"
    assert elapsed < settings.AI_REQUEST_TIMEOUT + 5  # not the 60 s production timeout


def test_demo_mode_keeps_timeouts_the_operator_set(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEMO_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AI_REQUEST_TIMEOUT", "20")
    emulators = start_demo_emulators(settings=load_settings(_env_file=None))
    try:
        assert os.environ["AI_REQUEST_TIMEOUT"] == "20"
    finally:
        for emulator in emulators:
            emulator.stop()
        for name in DEMO_ENV:
            os.environ.pop(name, None)
