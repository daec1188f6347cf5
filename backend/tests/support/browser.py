"""Headless Chromium for the browser tests: find it (skip locally / fail under CI) and dump a page's DOM."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
)


def chromium() -> str:
    """Path of a Chromium; skipped when absent, a failure under CI=true (start-services.sh installs it)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("chromium is not installed; under CI=true this is a failure (see scripts/start-services.sh)")
    pytest.skip("chromium is not installed")


def dump_dom(url: str, profile: Path, budget_ms: int = 8000, *extra_flags: str) -> subprocess.CompletedProcess[str]:
    """Load `url`, let scripts run for `budget_ms` of virtual time, return the serialised DOM on stdout."""
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
         *extra_flags, "--dump-dom", url],
        capture_output=True, text=True, timeout=120,
    )
