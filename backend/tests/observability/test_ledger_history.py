"""The status history comes from the usage ledger: it survives restarts and covers every worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.ai.providers.factory import get_llm_provider
from app.ai.providers.records import CallRecord
from app.core.config import Settings
from app.db import get_engine
from app.main import create_app
from app.observability.ledger import UsageLedger
from emulators import Fault, RunningEmulator


def _calls(history: list[dict[str, Any]], provider: str) -> int:
    return sum(bucket["providers"].get(provider, {}).get("calls", 0) for bucket in history)


def test_history_survives_a_restart_and_adds_up_every_worker(
    ledger_db_url: str, emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(DATABASE_URL=ledger_db_url, AI_LEDGER_FLUSH_SECONDS=0.05, AI_REQUEST_TIMEOUT=1.0)
    first = create_app(settings)
    model = get_llm_provider(runtime=first.state.ai_runtime)  # the app's runtime feeds its ledger
    with TestClient(first):  # the first process: two calls, then it stops
        model.invoke("hello")
        openai_emulator.faults.push(Fault(status=503, times=1))
        model.invoke("hello")
    other_worker = UsageLedger(get_engine(ledger_db_url))  # another process's ledger, same database
    other_worker.on_call(CallRecord("ok", "gemini", "gemini-2.5-flash", False, "priority", 250.0, ()))
    other_worker.close()
    with TestClient(create_app(settings)) as client:  # after the restart
        status = client.get("/api/v1/ai/status").json()
    history = status["history"]
    assert _calls(history, "openai") == 1 and _calls(history, "anthropic") == 1 and _calls(history, "gemini") == 1
    minute = history[-1]["providers"]
    assert minute["anthropic"]["failovers"] == 1 and minute["openai"]["errors"] == 1
    assert minute["openai"]["latency_ms"] > 0 and minute["gemini"]["latency_ms"] == 250.0


def test_status_says_when_there_is_no_history(emulator_settings: Callable[..., Settings]) -> None:
    status = TestClient(create_app(emulator_settings(AI_LEDGER_ENABLED=False))).get("/api/v1/ai/status").json()
    assert status["history"] == [] and "AI_LEDGER_ENABLED=false" in status["history_source"]
