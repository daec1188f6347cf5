"""Usage ledger: rows written in the background, nothing lost on shutdown, DB outages retried."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.ai.providers import build_runtime
from app.ai.providers.records import CallRecord
from app.core.config import Settings
from app.db import get_engine, upgrade
from app.main import create_app
from app.models.usage import UsageRecord
from app.observability.ledger import UsageLedger
from emulators import Fault, RunningEmulator


def _rows(url: str) -> list[UsageRecord]:
    with Session(get_engine(url)) as session:
        return list(session.exec(select(UsageRecord).order_by(UsageRecord.id)))  # type: ignore[arg-type]


def _wait_for_rows(url: str, count: int, timeout: float = 5.0) -> list[UsageRecord]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(url)
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    return _rows(url)


def test_calls_are_written_in_the_background(
    ledger_db_url: str, emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    ledger = UsageLedger(get_engine(ledger_db_url), flush_seconds=0.1)
    runtime = build_runtime(emulator_settings(AI_REQUEST_TIMEOUT=0.5))
    runtime.add_observer(ledger)
    try:
        model = runtime.model()
        metadata = {"feature": "matching", "request_id": "req-123"}
        model.invoke("rank these tokens=30", config={"metadata": metadata})
        openai_emulator.faults.push(Fault(status=500, times=1))
        model.invoke("hello", config={"metadata": {"feature": "chat"}})
        assert ledger.pending <= 3  # the calls returned without waiting for the database (3 rows)
        rows = _wait_for_rows(ledger_db_url, 3)
    finally:
        runtime.remove_observer(ledger)
        ledger.close()
    first, failed_attempt, second = rows
    assert (failed_attempt.provider, failed_attempt.outcome, failed_attempt.feature) == (
        "openai", "attempt:transient", "chat"
    )
    assert failed_attempt.cost_usd == 0 and failed_attempt.is_failed_attempt
    assert (first.feature, first.provider, first.model, first.outcome) == ("matching", "openai", "gpt-4o", "ok")
    assert first.request_id == "req-123" and first.failover is False
    assert first.input_tokens > 0 and first.output_tokens >= 30 and first.cost_usd > 0
    assert first.latency_ms > 0 and first.strategy == "priority" and first.arm == "openai"
    assert (second.feature, second.provider, second.failover) == ("chat", "anthropic", True)
    assert first.created_at.tzinfo is not None


def test_nothing_is_lost_on_a_clean_app_shutdown(
    ledger_db_url: str, emulator_settings: Callable[..., Settings]
) -> None:
    settings = emulator_settings(DATABASE_URL=ledger_db_url, AI_LEDGER_FLUSH_SECONDS=3600)
    app = create_app(settings)
    model = app.state.ai_runtime.model()
    with TestClient(app):
        ledger = app.state.usage_ledger
        assert ledger is not None
        for _ in range(5):
            model.invoke("hello", config={"metadata": {"feature": "shutdown"}})
        assert _rows(ledger_db_url) == []  # an hour-long flush period: all still queued
    assert app.state.usage_ledger is None
    rows = _rows(ledger_db_url)
    assert len(rows) == 5 and {r.feature for r in rows} == {"shutdown"}


def test_rows_wait_for_the_database_and_are_written_when_it_is_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'late.db'}"
    ledger = UsageLedger(get_engine(url), flush_seconds=3600)
    try:
        ledger.on_call(CallRecord("failed", None, None, False, "priority", 12.5, ()))
        assert ledger.flush() == 0 and ledger.pending == 1  # no table yet: kept for retry
        upgrade(url)
        assert ledger.flush() == 1 and ledger.pending == 0
    finally:
        ledger.close()
    ledger.on_call(CallRecord("ok", "openai", "gpt-4o", False, "priority", 1.0, ()))  # after close: ignored
    with get_engine(url).connect() as connection:
        assert connection.execute(sa.text("SELECT outcome, provider FROM ai_usage")).all() == [("failed", None)]


def test_a_full_buffer_drops_instead_of_growing_without_bound(tmp_path: Path) -> None:
    ledger = UsageLedger(get_engine(f"sqlite:///{tmp_path / 'none.db'}"), flush_seconds=3600, max_pending=2)
    try:
        for _ in range(3):
            ledger.on_call(CallRecord("ok", "openai", "gpt-4o", False, "priority", 1.0, ()))
        assert (ledger.pending, ledger.dropped) == (2, 1)
    finally:
        ledger.close()
