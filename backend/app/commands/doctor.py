"""`doctor`: check each configured provider with a tiny real request.

The brief's manual test ("call each provider, see that it answers") automated: for
every provider in the configuration it reports configured?, reachable?, latency and
model, one row each, and exits non-zero when a configured provider does not answer —
so it can gate a deployment. Providers are called directly (no failover), because the
point is to see each one on its own.
"""

from __future__ import annotations

import argparse
import json
import textwrap
import time
from typing import Any

from app.ai.providers.assembly import adapter_for, describe_configuration, provider_config
from app.ai.providers.errors import describe
from app.cli import command
from app.commands.tables import format_table
from app.core.config import Settings

PROBE_PROMPT = "Reply with the single word OK."
#: Statuses by which a provider that *was* reached says it refuses the key.
KEY_REJECTED_STATUSES = (401, 403)
KEY_REJECTED = "reached, key rejected"
DETAIL_CHARS = 160


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word and marked with "…" when cut."""
    return textwrap.shorten(" ".join(text.split()), width=limit, placeholder=" …")


def check_provider(name: str, settings: Settings, timeout: float) -> dict[str, Any]:
    """One provider's row: configured, reachable, latency_ms, model, detail.

    `reachable` is True, False, or "reached, key rejected" (a 401/403: the provider
    answered, so the network is fine and the key is what to fix).
    """
    adapter = adapter_for(name, settings)
    config = provider_config(name, adapter, settings)
    row: dict[str, Any] = {
        "provider": name, "configured": adapter.is_configured(config), "reachable": None,
        "latency_ms": None, "model": config.model, "detail": "",
    }
    if not row["configured"]:
        row["detail"] = "set " + ", ".join(adapter.required_settings)
        return row
    model = adapter.build(config)
    started = time.monotonic()
    try:
        answer = model.invoke(PROBE_PROMPT, max_tokens=5, timeout=timeout)
    except Exception as exc:
        status = getattr(exc, "status_code", None)
        if status in KEY_REJECTED_STATUSES:
            # The provider answered: the network path works, the credentials do not.
            row.update(reachable=KEY_REJECTED, detail=shorten(describe(exc), DETAIL_CHARS))
        else:
            row.update(reachable=False, detail=shorten(describe(exc), DETAIL_CHARS))
    else:
        row.update(reachable=True, detail=shorten(str(answer.content), 60))
    row["latency_ms"] = round((time.monotonic() - started) * 1000.0, 1)
    return row


def run_doctor(settings: Settings, timeout: float = 10.0) -> list[dict[str, Any]]:
    return [check_provider(name, settings, timeout) for name in describe_configuration(settings)["providers"]]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per provider (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _yes_no(value: bool | str | None) -> str:
    if isinstance(value, str):
        return value
    return "-" if value is None else ("yes" if value else "NO")


@command("doctor", "check each configured AI provider with a tiny real request", _arguments)
def doctor(args: argparse.Namespace, settings: Settings) -> int:
    rows = run_doctor(settings, args.timeout)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_table(
            ["provider", "configured", "reachable", "latency_ms", "model", "detail"],
            [[r["provider"], _yes_no(r["configured"]), _yes_no(r["reachable"]), r["latency_ms"],
              r["model"], r["detail"]] for r in rows],
        ))
    configured = [r for r in rows if r["configured"]]
    if not configured:
        return 2
    return 0 if all(r["reachable"] is True for r in configured) else 1
