"""CLI: ``python -m emulators --provider openai --port 8101``.

Why a CLI: demo mode and benchmarks run the emulators as separate processes.  Once
bound it prints one line per server, ``EMULATOR <provider> <base_url>``, which
:func:`emulators.server.spawn_emulator_process` parses; it then serves until
Ctrl-C / SIGTERM.  ``--fault`` takes a JSON fault used as the default fault (or any
control-API payload: ``{"faults": [...]}``, ``{"default": ...}``, ``{"chaos": ...}``);
``--chaos-seed`` enables seeded chaos with ``--chaos-mix`` (JSON ``[[p, fault], ...]``)
or the default mix.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from typing import Any

from emulators.faults import Fault, FaultPlan
from emulators.http import EmulatorServer
from emulators.server import Provider, base_url_for, make_app


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulators", description=__doc__)
    parser.add_argument(
        "--provider", choices=["openai", "anthropic", "gemini", "both"], default="openai"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="port for a single provider")
    parser.add_argument("--openai-port", type=int, default=8101)
    parser.add_argument("--anthropic-port", type=int, default=8102)
    parser.add_argument("--gemini-port", type=int, default=8103)
    parser.add_argument("--fault", default=None, help="JSON default fault or control payload")
    parser.add_argument("--chaos-seed", type=int, default=None)
    parser.add_argument("--chaos-mix", default=None, help='JSON [[0.1, {"status": 500}], ...]')
    return parser.parse_args(argv)


def _plan(args: argparse.Namespace) -> FaultPlan:
    plan = FaultPlan()
    if args.fault:
        payload: dict[str, Any] = json.loads(args.fault)
        if {"faults", "default", "chaos"} & set(payload):
            plan.load(payload)
        else:
            plan.set_default(Fault.from_dict(payload))
    if args.chaos_seed is not None:
        mix = None
        if args.chaos_mix:
            mix = [(float(w), Fault.from_dict(f)) for w, f in json.loads(args.chaos_mix)]
        plan.chaos(args.chaos_seed, mix)
    return plan


async def _serve(args: argparse.Namespace) -> None:
    providers: list[tuple[Provider, int]]
    if args.provider == "both":
        providers = [("openai", args.openai_port), ("anthropic", args.anthropic_port)]
    else:
        default_port = {
            "openai": args.openai_port, "anthropic": args.anthropic_port, "gemini": args.gemini_port
        }[args.provider]
        providers = [(args.provider, default_port if args.port is None else args.port)]
    servers = []
    for provider, port in providers:
        server = EmulatorServer(make_app(provider), args.host, port, faults=_plan(args))
        await server.start()
        servers.append(server)
        print(f"EMULATOR {provider} {base_url_for(provider, args.host, server.port)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for server in servers:
            await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the emulator(s) until interrupted."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
