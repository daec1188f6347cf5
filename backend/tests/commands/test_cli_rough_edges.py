"""The CLI as a newcomer meets it: clear errors, honest counts, pipes, placeholder keys."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ai.providers.factory import get_llm_provider
from app.cli import main
from app.commands.doctor import DETAIL_CHARS, doctor, shorten
from app.commands.usage import load_rows, summarise
from app.core.config import Settings, get_settings, load_settings
from app.db import get_engine, upgrade
from app.main import create_app
from app.models.usage import UsageRecord
from app.security.keys import Scope
from emulators import Fault, RunningEmulator

BACKEND = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_an_unknown_scope_lists_the_allowed_values(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["api-key", "create", "--name", "ops", "--scope", "root"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert "invalid choice: 'root'" in err and "Scope." not in err and "<" not in err
    assert all(scope.value in err for scope in Scope)


def test_usage_on_an_unmigrated_database_says_to_migrate(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["usage"]) == 1
    err = capsys.readouterr().err
    assert "no such table" in err and "app.cli migrate" in err
    assert "Traceback" not in err and "SELECT" not in err


def test_revoking_a_key_twice_is_an_error(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api-key", "create", "--name", "ops"]) == 0
    assert main(["api-key", "revoke", "1"]) == 0
    capsys.readouterr()
    assert main(["api-key", "revoke", "1"]) == 1
    assert "already revoked" in capsys.readouterr().err


def test_usage_json_into_a_reader_that_stops_early_ends_quietly(cli_db: str) -> None:
    upgrade(cli_db)
    now = datetime.now(UTC)
    with Session(get_engine(cli_db)) as session:  # enough output to outgrow the pipe's buffer
        session.add_all(UsageRecord(created_at=now, feature=f"feature-{i}", provider="openai", outcome="ok")
                        for i in range(3000))
        session.commit()
    env = {**os.environ, "DATABASE_URL": cli_db, "PYTHONPATH": str(BACKEND)}
    completed = subprocess.run(
        f"{sys.executable} -m app.cli usage --json | head -n 2", shell=True, cwd=BACKEND, env=env,
        capture_output=True, text=True, timeout=240,  # the CLI's imports are slow on a loaded machine
    )
    assert completed.stdout.splitlines() == ["{", '  "provider": [']
    assert "Traceback" not in completed.stderr and "BrokenPipeError" not in completed.stderr


def _wait_for_rows(url: str, count: int) -> list[UsageRecord]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = load_rows(url, 1)
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    return load_rows(url, 1)


def test_usage_counts_failed_attempts_that_a_failover_rescued(
    tmp_path: Path, emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    settings = emulator_settings(  # no circuit: another test's failures must not make openai skipped here
        DATABASE_URL=url, AI_LEDGER_FLUSH_SECONDS=0.05, AI_REQUEST_TIMEOUT=2.0, AI_CIRCUIT_ENABLED=False
    )
    with TestClient(create_app(settings)) as client:
        openai_emulator.faults.push(Fault(status=503, times=1))
        response = client.post("/api/v1/ai/complete", json={"messages": [{"role": "user", "content": "hi"}]})
        assert response.json()["failover"] is True, response.json()["attempts"]
        metrics = client.get("/metrics").text
    report = summarise(_wait_for_rows(url, 2))
    by_provider = {entry["provider"]: entry for entry in report["provider"]}
    assert by_provider["openai"]["failed_attempts"] == 1 and by_provider["openai"]["calls"] == 0
    assert by_provider["anthropic"]["calls"] == 1 and by_provider["anthropic"]["failovers"] == 1
    assert [entry["feature"] for entry in report["feature"]] == ["complete"]  # /ai/complete is named
    assert report["feature"][0]["failed_attempts"] == 1
    assert re.search(r'tandem_ai_calls_total\{[^}]*feature="complete"[^}]*provider="anthropic"', metrics)


def test_doctor_says_a_rejected_key_was_reached(
    emulator_settings: Callable[..., Settings], anthropic_emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    anthropic_emulator.faults.set_default(Fault(status=401, error_type="authentication_error"))
    code = doctor(argparse.Namespace(timeout=5.0, json=True), emulator_settings())
    rows = {row["provider"]: row for row in json.loads(capsys.readouterr().out)}
    assert code == 1
    assert rows["anthropic"]["reachable"] == "reached, key rejected" and "401" in rows["anthropic"]["detail"]
    assert rows["openai"]["reachable"] is True
    doctor(argparse.Namespace(timeout=5.0, json=False), emulator_settings())
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("anthropic"))
    assert "reached, key rejected" in line and " NO " not in line


def test_doctor_details_are_cut_at_a_word_and_marked() -> None:
    message = "AuthenticationError 401: " + " ".join(f"word{i}" for i in range(60))
    cut = shorten(message, DETAIL_CHARS)
    assert len(cut) <= DETAIL_CHARS and cut.endswith(" …")
    assert all(word in message.split() for word in cut.removesuffix(" …").split())


def test_env_example_placeholders_are_not_configured_keys(clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(_env_file=str(BACKEND / ".env.example"))
    assert settings.OPENAI_API_KEY is None and settings.ANTHROPIC_API_KEY is None
    health = TestClient(create_app(settings)).get("/health").json()["ai"]
    assert health["configured"] is False
    assert {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"} <= set(health["missing_settings"])
    assert doctor(argparse.Namespace(timeout=1.0, json=True), settings) == 2
    rows = {row["provider"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["openai"]["configured"] is False and rows["openai"]["detail"] == "set OPENAI_API_KEY"
    real_looking = load_settings(_env_file=None, OPENAI_API_KEY="sk-" + "a1" * 20)
    assert real_looking.OPENAI_API_KEY is not None
    assert get_llm_provider(settings=settings) is not None
