"""Local OpenAI / Anthropic API emulators with fault injection.

Why: tests, benchmarks, the chaos suite and demo mode need providers that answer
deterministically, speak the real wire formats (the official SDKs and LangChain parse
every byte) and fail on command.  See :mod:`emulators.content` for the answer
rules and :mod:`emulators.faults` for fault injection.
"""

from emulators.faults import Fault, FaultPlan
from emulators.server import (
    AsyncEmulator,
    EmulatorProcess,
    RunningEmulator,
    spawn_emulator_process,
    start_emulator,
    start_emulator_async,
)

__all__ = [
    "AsyncEmulator",
    "EmulatorProcess",
    "Fault",
    "FaultPlan",
    "RunningEmulator",
    "spawn_emulator_process",
    "start_emulator",
    "start_emulator_async",
]
