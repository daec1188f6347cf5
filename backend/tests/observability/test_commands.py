"""CLI `doctor` against the emulators (healthy and failing) and `usage` over a real ledger."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from app.cli import COMMANDS, build_parser, load_command_modules
from app.commands.doctor import doctor
from app.commands.usage import usage
from app.core.config import Settings, load_settings
from app.db import get_engine, upgrade
from app.models.usage import UsageRecord
from emulators import Fault, RunningEmulator


def test_commands_are_registered_with_the_cli() -> None:
    load_command_modules()
    assert {"doctor", "usage"} <= set(COMMANDS)
    assert build_parser().parse_args(["usage", "--days", "7"]).days == 7


def test_doctor_reports_every_provider_reachable(
    emulator_settings: Callable[..., Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    code = doctor(argparse.Namespace(timeout=5.0, json=False), emulator_settings())
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split() == ["provider", "configured", "reachable", "latency_ms", "model", "detail"]
    openai = next(line.split() for line in lines if line.startswith("openai"))
    assert openai[:3] == ["openai", "yes", "yes"] and float(openai[3]) > 0 and openai[4] == "gpt-4o"
    anthropic = next(line.split() for line in lines if line.startswith("anthropic"))
    assert anthropic[:3] == ["anthropic", "yes", "yes"]


def test_doctor_fails_when_a_configured_provider_does_not_answer(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    anthropic_emulator.faults.set_default(Fault(status=401, error_type="authentication_error"))
    code = doctor(argparse.Namespace(timeout=5.0, json=False), emulator_settings())
    out = capsys.readouterr().out
    assert code == 1
    anthropic = next(line for line in out.splitlines() if line.startswith("anthropic"))
    assert anthropic.split()[:5] == ["anthropic", "yes", "reached,", "key", "rejected"] and "401" in anthropic


def test_doctor_without_any_key_says_what_to_set(clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = doctor(argparse.Namespace(timeout=1.0, json=True), load_settings(_env_file=None))
    out = capsys.readouterr().out
    assert code == 2 and "set OPENAI_API_KEY" in out and '"reachable": null' in out


def test_usage_reports_spend_by_provider_feature_and_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'usage.db'}"
    upgrade(url)
    now = datetime.now(UTC)
    rows = [
        UsageRecord(created_at=now, feature="matching", provider="openai", model="gpt-4o",
                    input_tokens=100, output_tokens=50, cost_usd=0.75, outcome="ok"),
        UsageRecord(created_at=now - timedelta(days=1), feature="chat", provider="anthropic",
                    model="claude-3-5-haiku", input_tokens=10, output_tokens=5, cost_usd=0.25,
                    outcome="ok", failover=True),
        UsageRecord(created_at=now, feature=None, provider=None, outcome="failed"),
        UsageRecord(created_at=now - timedelta(days=90), feature="old", provider="openai",
                    cost_usd=100.0, outcome="ok"),
    ]
    with Session(get_engine(url)) as session:
        session.add_all(rows)
        session.commit()
    settings = load_settings(_env_file=None, DATABASE_URL=url)
    assert usage(argparse.Namespace(days=30, json=False), settings) == 0
    out = capsys.readouterr().out
    assert "AI usage over the last 30 days: 1.000000 USD" in out
    assert "By provider:" in out and "By feature:" in out and "By day:" in out
    assert usage(argparse.Namespace(days=30, json=True), settings) == 0
    report = json.loads(capsys.readouterr().out)
    by_provider = {e["provider"]: e for e in report["provider"]}
    assert by_provider["openai"]["cost_usd"] == 0.75 and by_provider["openai"]["input_tokens"] == 100
    assert by_provider["anthropic"]["failovers"] == 1 and by_provider["(none)"]["failed"] == 1
    assert {e["feature"] for e in report["feature"]} == {"matching", "chat", "(none)"}
    assert [e["day"] for e in report["day"]] == sorted({(now - timedelta(days=1)).date().isoformat(),
                                                          now.date().isoformat()})
    assert usage(argparse.Namespace(days=0, json=False), settings) == 2
