"""`eval FILE`: replay a fixed set of prompts through each configured provider, side by side.

Each line of FILE (JSONL) is one prompt: `{"id": "q1", "prompt": "...", "system": "..."}`
(`id` and `system` optional) or `{"id": "q2", "messages": [{"role": "user", "content": "..."}]}`.
Every prompt goes to every configured provider on its own (no failover: a failure is
recorded as that provider's answer), through the same call engine as the features, so
cost and latency are measured the way production measures them. Answers are stored in
`ai_eval_results` under one run id, printed as a table, and with `--out` written as
JSONL, one line per prompt with every provider's answer beside each other.

The whole file is validated before the first call: a bad line stops the run with its
line number and nothing is spent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from app.ai.chains.served import run_config
from app.ai.providers.errors import ProviderError, describe
from app.ai.providers.factory import get_llm_provider
from app.cli import command
from app.commands.tables import format_table
from app.core.config import Settings
from app.db import get_engine, init_db
from app.models.quality import EvalResult

FEATURE = "eval"
_ROLES: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
_TABLE: Any = EvalResult.__table__  # type: ignore[attr-defined]
#: (prompt id, messages)
Prompt = tuple[str, list[BaseMessage]]


class EvalFileError(ValueError):
    """A line of the eval file that cannot be replayed."""


def _messages(entry: Any, line: int) -> tuple[str, list[BaseMessage]]:
    where = f"line {line}"
    if not isinstance(entry, dict):
        raise EvalFileError(f"{where}: expected a JSON object with 'prompt' or 'messages'")
    ident = str(entry.get("id") or f"line-{line}")[:128]
    if isinstance(entry.get("prompt"), str) and entry["prompt"].strip():
        system = entry.get("system")
        if system is not None and not isinstance(system, str):
            raise EvalFileError(f"{where}: 'system' must be a string")
        messages: list[BaseMessage] = [SystemMessage(system)] if system else []
        return ident, [*messages, HumanMessage(entry["prompt"])]
    raw = entry.get("messages")
    if not isinstance(raw, list) or not raw:
        raise EvalFileError(f"{where}: needs a non-empty 'prompt' string or a 'messages' list")
    converted = []
    for index, message in enumerate(raw):
        role = message.get("role") if isinstance(message, dict) else None
        text = message.get("content") if isinstance(message, dict) else None
        if role not in _ROLES or not isinstance(text, str):
            raise EvalFileError(
                f"{where}: messages[{index}] needs role system|user|assistant and a string content"
            )
        converted.append(_ROLES[role](text))
    return ident, converted


def load_prompts(path: Path) -> list[Prompt]:
    """Every prompt of the file, or EvalFileError naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvalFileError(f"cannot read {path}: {error.strerror or error}") from None
    prompts = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as error:
            raise EvalFileError(f"line {number}: not JSON ({error.msg})") from None
        prompts.append(_messages(entry, number))
    if not prompts:
        raise EvalFileError(f"{path} has no prompts")
    return prompts


def _prompt_text(messages: list[BaseMessage]) -> str:
    return "\n".join(f"{m.type}: {m.text}" for m in messages)


def run_eval(settings: Settings, prompts: list[Prompt]) -> tuple[str, list[dict[str, Any]]]:
    """Answer every prompt with every configured provider; returns (run id, result rows)."""
    model = get_llm_provider(settings=settings)
    run_id = uuid.uuid4().hex[:16]
    now = datetime.now(UTC)
    results = []
    for ident, messages in prompts:
        for member in model.members:
            single = model.with_members([member])
            started = time.monotonic()
            row: dict[str, Any] = {
                "run_id": run_id, "created_at": now, "prompt_id": ident, "prompt": _prompt_text(messages),
                "provider": member.name, "model": member.model_name, "answer": None, "error": None,
                "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0, "cost_usd": 0.0,
            }
            try:
                answer = single.invoke(messages, config=run_config(FEATURE))
            except ProviderError as error:
                row["error"] = describe(error.exceptions[-1]) if error.exceptions else str(error)
            else:
                meta = answer.response_metadata.get("hybrid") or {}
                usage = meta.get("usage") or {}
                row.update(
                    answer=str(answer.text), cost_usd=float(meta.get("cost_usd") or 0.0),
                    input_tokens=int(usage.get("input_tokens", 0)),
                    output_tokens=int(usage.get("output_tokens", 0)),
                    cache_read_tokens=int(usage.get("cache_read_tokens", 0)),
                )
            row["latency_ms"] = round((time.monotonic() - started) * 1000.0, 3)
            results.append(row)
    return run_id, results


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", type=Path, help="JSONL: one {id?, prompt, system?} or {id?, messages} per line"
    )
    parser.add_argument("--out", type=Path, help="also write the answers side by side as JSONL here")


@command("eval", "Replay a JSONL set of prompts through every configured provider, side by side", _arguments)
def eval_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        prompts = load_prompts(args.file)
    except EvalFileError as error:
        print(f"eval: {error}", file=sys.stderr)
        return 2
    if not get_llm_provider(settings=settings).members:
        print("eval: no provider is configured (set OPENAI_API_KEY and/or ANTHROPIC_API_KEY)",
              file=sys.stderr)
        return 2
    run_id, results = run_eval(settings, prompts)
    init_db(settings.DATABASE_URL)
    with get_engine(settings.DATABASE_URL).begin() as connection:
        connection.execute(sa.insert(_TABLE), results)
    columns = ["prompt_id", "provider", "model", "latency_ms", "cost_usd", "answer"]
    table = [
        [r["prompt_id"], r["provider"], r["model"], round(r["latency_ms"]), f"{r['cost_usd']:.6f}",
         (r["answer"] or f"ERROR: {r['error']}")[:60].replace("\n", " ")]
        for r in results
    ]
    print(format_table(columns, table))
    print(f"\nrun {run_id}: {len(prompts)} prompts x {len(results) // len(prompts)} providers stored in "
          "ai_eval_results")
    if args.out:
        by_prompt: dict[str, dict[str, Any]] = {}
        for r in results:
            entry = by_prompt.setdefault(r["prompt_id"], {"id": r["prompt_id"], "prompt": r["prompt"],
                                                          "answers": {}})
            entry["answers"][r["provider"]] = {
                k: r[k] for k in ("model", "answer", "error", "latency_ms", "cost_usd", "input_tokens",
                                  "output_tokens", "cache_read_tokens")
            }
        args.out.write_text("".join(json.dumps(e) + "\n" for e in by_prompt.values()), encoding="utf-8")
    return 0
