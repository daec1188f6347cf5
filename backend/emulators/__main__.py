"""CLI: `python -m emulators --provider openai --port 8101` (see `--help`).

Demo mode and benchmarks run the emulators as separate processes; the line
`EMULATOR <provider> <base_url>` printed per server is what
`emulators.server.spawn_emulator_process` parses.
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

_DESCRIPTION = """\
Local HTTP servers speaking the OpenAI, Anthropic and Gemini wire formats, with fault
injection, for tests, benchmarks and demo mode.

Once bound, prints one line per server, "EMULATOR <provider> <base_url>", then serves
until Ctrl-C or SIGTERM. Faults can be changed at run time through the control API:
POST/GET/DELETE <root>/_emulator/faults.
"""

_EPILOG = """\
examples:
  python -m emulators --provider openai --port 8101
  python -m emulators --provider both --openai-port 8101 --anthropic-port 8102
  python -m emulators --fault '{"status": 503}'             # every request answers 503
  python -m emulators --fault '{"faults": [{"status": 429, "retry_after": 2, "times": 1}]}'
  python -m emulators --chaos-seed 7 --chaos-mix '[[0.1, {"status": 500}]]'
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulators", description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--provider", choices=["openai", "anthropic", "gemini", "both"], default="openai",
        help="which emulator to run; both = openai and anthropic (default openai)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None,
        help="port of the single provider (not with --provider both: use --openai-port/--anthropic-port)",
    )
    parser.add_argument("--openai-port", type=int, default=8101, help="default 8101; 0 = any free port")
    parser.add_argument("--anthropic-port", type=int, default=8102, help="default 8102; 0 = any free port")
    parser.add_argument("--gemini-port", type=int, default=8103, help="default 8103; 0 = any free port")
    parser.add_argument(
        "--fault", default=None,
        help='JSON fault applied to every request (e.g. \'{"status": 503}\'), or a control-API '
        'payload ({"faults": [...]}, {"default": ...}, {"chaos": ...})',
    )
    parser.add_argument("--chaos-seed", type=int, default=None, help="seeded random faults (reproducible)")
    parser.add_argument(
        "--chaos-mix", default=None, help='JSON [[probability, fault], ...]:  \'[[0.1, {"status": 500}]]\''
    )
    return parser


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and check the arguments; usage errors exit with status 2 and one clear line."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.provider == "both" and args.port is not None:
        parser.error("--port names the port of a single provider; with --provider both "
                     "use --openai-port and --anthropic-port")
    try:
        _plan(args)  # each server builds its own plan later; this checks the specs once
    except json.JSONDecodeError as error:
        parser.error(f"--fault/--chaos-mix is not valid JSON: {error}")
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        parser.error(f"invalid fault: {error}")
    return args


def _plan(args: argparse.Namespace) -> FaultPlan:
    plan = FaultPlan()
    if args.fault:
        payload: Any = json.loads(args.fault)
        if not isinstance(payload, dict):
            raise ValueError(f"--fault must be a JSON object (got {type(payload).__name__})")
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
