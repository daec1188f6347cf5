"""`python -m app.cli eval FILE` against the emulators: every prompt through every
configured provider, stored and written side by side; a bad file spends nothing."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli import build_parser, load_command_modules
from app.commands.eval import eval_command
from app.core.config import Settings
from app.db import get_engine
from emulators import Fault, RunningEmulator


def _file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_answers_every_prompt_with_every_provider(
    emulator_settings: Callable[..., Settings], tmp_path: Path, anthropic_emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'eval.db'}"
    prompts = _file(tmp_path, [
        json.dumps({"id": "greeting", "prompt": "say hello", "system": "be brief"}),
        "",
        json.dumps({"id": "chat", "messages": [{"role": "user", "content": "what is tandem"}]}),
    ])
    anthropic_emulator.faults.push(Fault(status=400, times=1))  # one provider fails one prompt
    out = tmp_path / "answers.jsonl"
    load_command_modules()
    args = build_parser().parse_args(["eval", str(prompts), "--out", str(out)])
    assert eval_command(args, emulator_settings(DATABASE_URL=url)) == 0
    printed = capsys.readouterr().out
    assert "2 prompts x 2 providers stored in ai_eval_results" in printed
    side_by_side = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["id"] for e in side_by_side] == ["greeting", "chat"]
    greeting = side_by_side[0]["answers"]
    assert set(greeting) == {"openai", "anthropic"}
    assert greeting["openai"]["answer"].startswith("[openai:gpt-4o]") and greeting["openai"]["cost_usd"] > 0
    assert greeting["anthropic"]["answer"] is None and greeting["anthropic"]["error"]
    assert side_by_side[1]["answers"]["anthropic"]["answer"].startswith("[anthropic:")
    with get_engine(url).connect() as connection:
        rows = connection.execute(sa.text("SELECT provider, latency_ms, cost_usd FROM ai_eval_results")).all()
    assert len(rows) == 4 and all(latency > 0 for _, latency, _ in rows)


def test_a_bad_line_stops_the_run_before_any_call(
    emulator_settings: Callable[..., Settings], tmp_path: Path, openai_emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompts = _file(tmp_path, [json.dumps({"prompt": "fine"}), json.dumps({"messages": [{"role": "robot"}]})])
    args = argparse.Namespace(file=prompts, out=None)
    assert eval_command(args, emulator_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'e.db'}")) == 2
    assert "line 2: messages[0] needs role system|user|assistant" in capsys.readouterr().err
    assert openai_emulator.request_count == 0
