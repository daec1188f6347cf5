"""Emulator fixtures: one running emulator per provider per session, reset per test.

Copy this pattern: the session fixture starts the server once (a daemon thread with
its own event loop, ~ms to start); the function fixture hands it to a test with no
faults queued and no recorded requests, and cleans up again afterwards so a test that
fails half-way cannot leak a fault into the next one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.emulators import RunningEmulator, start_emulator


@pytest.fixture(scope="session")
def _openai_emulator_session() -> Iterator[RunningEmulator]:
    with start_emulator("openai") as emulator:
        yield emulator


@pytest.fixture(scope="session")
def _anthropic_emulator_session() -> Iterator[RunningEmulator]:
    with start_emulator("anthropic") as emulator:
        yield emulator


@pytest.fixture
def openai_emulator(_openai_emulator_session: RunningEmulator) -> Iterator[RunningEmulator]:
    """OpenAI emulator; use ``.base_url`` (ends in ``/v1``), ``.faults``, ``.requests``."""
    _openai_emulator_session.reset()
    yield _openai_emulator_session
    _openai_emulator_session.reset()


@pytest.fixture
def anthropic_emulator(_anthropic_emulator_session: RunningEmulator) -> Iterator[RunningEmulator]:
    """Anthropic emulator; use ``.base_url`` (no ``/v1``), ``.faults``, ``.requests``."""
    _anthropic_emulator_session.reset()
    yield _anthropic_emulator_session
    _anthropic_emulator_session.reset()
