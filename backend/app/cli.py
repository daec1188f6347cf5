"""Command line entry: `python -m app.cli COMMAND` from backend/.

    migrate                      apply database migrations (alembic upgrade head)
    seed [--file FILE]           load the demo data (or FILE) into an empty database
    serve [--host H] [--port P] [--reload] [--workers N]
                                 migrate, seed if empty, then serve the API with uvicorn

Each subcommand is a function registered in COMMANDS with `@command(...)`; adding one
(`doctor`, `usage`, ...) means writing one decorated function, either here or in a
module of the `app.commands` package (`from app.cli import command`), which `main`
imports so its commands register themselves.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError

from app.core.config import ConfigError, Settings, get_settings

Handler = Callable[[argparse.Namespace, Settings], int]
Configure = Callable[[argparse.ArgumentParser], None]


def _no_arguments(_parser: argparse.ArgumentParser) -> None:
    return None


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, one-line help, argument set-up and handler."""

    name: str
    help: str
    handler: Handler
    configure: Configure = _no_arguments


#: Every subcommand, by name, in registration order.
COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, configure: Configure = _no_arguments) -> Callable[[Handler], Handler]:
    """Register the decorated function as subcommand `name`."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, help, handler, configure)
        return handler

    return register


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# --- migrate -------------------------------------------------------------------------


@command("migrate", "Apply database migrations (alembic upgrade head).")
def migrate(_args: argparse.Namespace, settings: Settings) -> int:
    """Bring the configured database to the latest schema."""
    from app.db import current_revision, init_db

    init_db(settings.DATABASE_URL)
    print(f"database {_redacted(settings.DATABASE_URL)} at revision "
          f"{current_revision(settings.DATABASE_URL)}")
    return 0


# --- seed ----------------------------------------------------------------------------


def _seed_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", type=Path, help="JSON import file (format: app/demo/loader.py) instead of the demo set"
    )


def _seed(settings: Settings, file: Path | None) -> None:
    from app.db import session_scope
    from app.demo import load_demo_data, read_import_file

    data = read_import_file(file) if file else None
    with session_scope(settings.DATABASE_URL) as session:
        report = load_demo_data(session, data)
    if report is None:
        print("database already has data: nothing loaded")
    else:
        print(f"loaded {report.jobs} jobs, {report.candidates} candidates, "
              f"{report.documents} documents")


@command("seed", "Load demo data (or --file) when the database is empty.", _seed_arguments)
def seed(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, then load data into an empty database (idempotent)."""
    from pydantic import ValidationError

    from app.db import init_db

    init_db(settings.DATABASE_URL)
    try:
        _seed(settings, args.file)
    except (OSError, ValidationError) as error:
        print(f"cannot import {args.file}: {error}", file=sys.stderr)
        return 1
    return 0


# --- serve ---------------------------------------------------------------------------


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    parser.add_argument(
        "--workers", type=_positive_int, default=1,
        help="uvicorn worker processes (default 1); with more than one, configure Redis "
        "(AI_STATE_REDIS_URL) so limits and circuits are shared",
    )
    parser.add_argument(
        "--emulators", action="store_true",
        help="serve against the bundled OpenAI/Anthropic emulators (dummy keys; fault injection via curl)",
    )
    parser.add_argument(
        "--local-dev", action="store_true",
        help="serve with AUTH_MODE=local-dev: NO authentication (what `python3 dev.py run` uses)",
    )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {value!r})")
    return number


def worker_warnings(workers: int, reload: bool, settings: Settings) -> list[str]:
    """What an operator must know about serving with `workers` processes."""
    warnings = []
    if workers > 1 and reload:
        warnings.append("--reload runs one process: --workers is ignored")
    elif workers > 1 and not (settings.AI_STATE_REDIS_URL or settings.RATE_LIMIT_REDIS_URL):
        warnings.append(
            f"{workers} workers and no Redis configured: rate limits, circuit breakers and "
            f"budgets are per worker (each of the {workers} keeps its own); set AI_STATE_REDIS_URL "
            "to share them"
        )
    return warnings


@command("serve", "Migrate, seed an empty database, and serve the API.", _serve_arguments)
def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Prepare the database, then run uvicorn on the `app.main:create_app` factory."""
    import uvicorn

    from app.db import init_db

    if args.local_dev:
        # The app factory reads the environment (also in --reload's child process).
        import os

        os.environ["AUTH_MODE"] = "local-dev"
        get_settings.cache_clear()
        settings = get_settings()
    if args.emulators:
        from app.commands.demo_mode import start_demo_emulators

        start_demo_emulators(settings=settings)
        get_settings.cache_clear()
        settings = get_settings()
    init_db(settings.DATABASE_URL)
    _seed(settings, None)
    for warning in worker_warnings(args.workers, args.reload, settings):
        print(f"WARNING: {warning}", file=sys.stderr, flush=True)
    workers = 1 if args.reload else args.workers
    print(f"serving on http://{args.host}:{args.port} with {workers} worker"
          f"{'s' if workers > 1 else ''} (API docs at /docs)", flush=True)
    from app.security.slow_clients import PROTOCOL_PATH

    # Our protocol: uvicorn's httptools one plus a header deadline (slow clients are cut).
    uvicorn.run(
        "app.main:create_app", factory=True, host=args.host, port=args.port, reload=args.reload,
        workers=workers, http=PROTOCOL_PATH,
    )
    return 0


# --- entry point ---------------------------------------------------------------------


def load_command_modules(package: str = "app.commands") -> None:
    """Import every module of `package` (when it exists) so their @command's register."""
    if importlib.util.find_spec(package) is None:
        return
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        importlib.import_module(f"{package}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    """The parser with one sub-parser per registered command."""
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="Tandem backend.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for entry in COMMANDS.values():
        entry.configure(subparsers.add_parser(entry.name, help=entry.help, description=entry.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; configuration errors are reported in one line (exit status 2).

    A reader that stops early (`usage --json | head`) closes the pipe: that is not an
    error of ours, so it ends the command quietly instead of with a BrokenPipeError
    traceback (the recipe of Python's `signal` documentation).
    """
    load_command_modules()
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        status = COMMANDS[args.command].handler(args, settings)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a command its reader left
    except (OperationalError, ProgrammingError) as error:
        # Most often a database nobody migrated yet; one line, not a traceback with SQL.
        reason = str(error.orig).splitlines()[0] if error.orig is not None else type(error).__name__
        print(
            f"database error ({_redacted(settings.DATABASE_URL)}): {reason}. "
            "If the schema is missing, run `python -m app.cli migrate` first.",
            file=sys.stderr,
        )
        return 1
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    # Run through the importable module, so `app.commands` modules doing
    # `from app.cli import command` register into the same COMMANDS as this run uses.
    from app.cli import main as _main

    sys.exit(_main())
