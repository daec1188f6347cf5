"""`serve --emulators`: run the service against the bundled provider emulators.

Why: a newcomer can watch failover happen without API keys. Both emulators start in
background threads of the serving process; OPENAI_BASE_URL / ANTHROPIC_BASE_URL point
at them with dummy keys (set in the environment, so `--reload`'s child process sees
them too), and the printed curl line shows how to make the primary fail.

Demo mode also shortens the call timeouts (unless the operator set them): with the
production default of 60 s per attempt, a newcomer who makes the primary hang waits a
minute before seeing the failover this mode exists to show.
"""

from __future__ import annotations

import json
import os

from app.core.config import Settings
from emulators import RunningEmulator, start_emulator

DUMMY_KEYS = {"OPENAI_API_KEY": "sk-emulator-openai", "ANTHROPIC_API_KEY": "sk-ant-emulator-anthropic"}
#: Seconds: an attempt that hangs gives up after 3 s, so failover shows within seconds.
DEMO_TIMEOUTS = {"AI_REQUEST_TIMEOUT": "3", "AI_REQUEST_DEADLINE": "15"}


def demo_timeouts(settings: Settings | None) -> dict[str, str]:
    """The demo timeouts the operator has not set (environment or .env) themselves."""
    explicit = settings.model_fields_set if settings is not None else set()
    return {name: value for name, value in DEMO_TIMEOUTS.items()
            if name not in explicit and name not in os.environ}


def start_demo_emulators(host: str = "127.0.0.1", settings: Settings | None = None) -> list[RunningEmulator]:
    """Start both emulators, point the provider settings at them, print how to inject faults."""
    emulators = [start_emulator("openai", host), start_emulator("anthropic", host)]
    os.environ.update(DUMMY_KEYS)
    timeouts = demo_timeouts(settings)
    os.environ.update(timeouts)
    if timeouts:
        print("demo timeouts (so a hung primary fails over in seconds): "
              + ", ".join(f"{name}={value}s" for name, value in timeouts.items()), flush=True)
    os.environ["OPENAI_BASE_URL"] = emulators[0].base_url
    os.environ["ANTHROPIC_BASE_URL"] = emulators[1].base_url
    fault = json.dumps({"status": 503, "times": 3})
    for emulator in emulators:
        print(f"{emulator.provider} emulator at {emulator.base_url}", flush=True)
    print(
        "make the primary fail (watch failover):\n"
        f"  curl -X POST {emulators[0].root_url}/_emulator/faults "
        f"-H 'Content-Type: application/json' -d '{fault}'",
        flush=True,
    )
    return emulators
