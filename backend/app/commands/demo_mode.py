"""`serve --emulators`: run the service against the bundled provider emulators.

Why: a newcomer can watch failover happen without API keys. Both emulators start in
background threads of the serving process; OPENAI_BASE_URL / ANTHROPIC_BASE_URL point
at them with dummy keys (set in the environment, so `--reload`'s child process sees
them too), and the printed curl line shows how to make the primary fail.
"""

from __future__ import annotations

import json
import os

from emulators import RunningEmulator, start_emulator

DUMMY_KEYS = {"OPENAI_API_KEY": "sk-emulator-openai", "ANTHROPIC_API_KEY": "sk-ant-emulator-anthropic"}


def start_demo_emulators(host: str = "127.0.0.1") -> list[RunningEmulator]:
    """Start both emulators, point the provider settings at them, print how to inject faults."""
    emulators = [start_emulator("openai", host), start_emulator("anthropic", host)]
    os.environ.update(DUMMY_KEYS)
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
