#!/usr/bin/env python3
"""Tandem's two commands, needing nothing but Python 3.11+ on the machine.

    python3 dev.py run    # set up backend/.venv from the lock file, migrate, load demo data, serve
    python3 dev.py test   # set up backend/.venv from the lock file, lint, type-check, run every test

Set-up is idempotent: `uv` (pinned, installed into the venv itself) syncs the venv to
`backend/uv.lock` exactly, so a second run costs a second or two.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BACKEND = ROOT / "backend"
VENV = BACKEND / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
#: Coverage floor for the provider library, enforced by `test` (issue 2).
PROVIDERS_COVERAGE_FLOOR = 90


def _run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=BACKEND, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def _locked_uv_version() -> str:
    lock = (BACKEND / "uv.lock").read_text()
    match = re.search(r'name = "uv"\nversion = "([^"]+)"', lock)
    if not match:
        sys.exit("backend/uv.lock does not pin uv; run `uv lock` in backend/")
    return match.group(1)


def setup() -> None:
    """Create backend/.venv and sync it to the lock file (dev tools included)."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11+ is required; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    uv = BIN / "uv"
    wanted = _locked_uv_version()
    have = ""
    if uv.exists():
        have = subprocess.run([str(uv), "--version"], capture_output=True, text=True).stdout
    if wanted not in have:
        _run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"uv=={wanted}")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV), "VIRTUAL_ENV": str(VENV)}
    _run(uv, "sync", "--frozen", "--quiet", env=env)


def run(argv: list[str]) -> None:
    """Set up, prepare the database and serve the API (extra args go to `app.cli serve`)."""
    setup()
    # Explicitly without authentication: a newcomer's first run needs no key (the
    # server prints a banner saying so); `python -m app.cli serve` alone requires keys.
    _run(PY, "-m", "app.cli", "serve", "--local-dev", *argv)


def test(argv: list[str]) -> None:
    """Set up, then lint, type-check and run the whole suite with the coverage floor."""
    setup()
    _run(BIN / "ruff", "check", "app", "emulators", "tests", "benchmarks")
    _run(BIN / "mypy", "app", "emulators")
    junit = BACKEND / ".pytest-results.xml"
    _run(
        PY, "-m", "pytest", "--cov=app", "--cov-report=term:skip-covered",
        f"--junitxml={junit}", *argv,
    )
    _run(
        PY, "-m", "coverage", "report", "--include=app/ai/providers/*",
        f"--fail-under={PROVIDERS_COVERAGE_FLOOR}", "--skip-covered",
    )
    _print_totals(junit)


def _print_totals(junit: Path) -> None:
    """End with one plain `N passed, N failed, N skipped` line, after the coverage table."""
    import xml.etree.ElementTree as ElementTree

    suites = ElementTree.parse(junit).getroot().iter("testsuite")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    print(f"tests: {passed} passed, {failed} failed, {totals['skipped']} skipped")


def main() -> None:
    commands = {"run": run, "test": test, "setup": lambda _argv: setup()}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(commands)}}} [args...]")
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
