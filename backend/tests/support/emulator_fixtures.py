"""One way to declare an emulator fixture pair, used by every conftest that needs one.

`emulator_fixtures("gemini", "gemini_emulator")` returns a session-scoped fixture that
runs the emulator once (a daemon thread with its own event loop) and a per-test fixture
`gemini_emulator` that hands it over with no faults queued and no requests recorded,
and cleans up afterwards so a test failing half-way cannot leak a fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulators import RunningEmulator, start_emulator
from emulators.server import Provider


def emulator_fixtures(provider: Provider, name: str) -> tuple[Any, Any]:
    """(session fixture, per-test fixture named `name`) for `provider`'s emulator."""
    session_name = f"_{name}_session"

    @pytest.fixture(scope="session", name=session_name)
    def running() -> Iterator[RunningEmulator]:
        with start_emulator(provider) as emulator:
            yield emulator

    @pytest.fixture(name=name)
    def per_test(request: pytest.FixtureRequest) -> Iterator[RunningEmulator]:
        emulator: RunningEmulator = request.getfixturevalue(session_name)
        emulator.reset()
        yield emulator
        emulator.reset()

    return running, per_test
