"""/metrics series, /api/v1/ai/status content, request ids in headers and provider log lines."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.ai.providers.factory import get_llm_provider
from app.core.config import Settings
from app.db import upgrade
from app.main import create_app
from app.observability.metrics import ScrapeTimeGauges
from emulators import Fault, RunningEmulator


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def test_metrics_expose_calls_failovers_errors_latency_tokens_cost_and_budget(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(AI_BUDGET_ANTHROPIC_DAILY_USD=5, AI_REQUEST_TIMEOUT=0.5, AI_LEDGER_ENABLED=False)
    app = create_app(settings)
    client = TestClient(app)
    model = app.state.ai_runtime.model()
    model.invoke("hello", config={"metadata": {"feature": "metrics-test"}})
    openai_emulator.faults.push(Fault(status=503, times=1))
    model.invoke("hello", config={"metadata": {"feature": "metrics-test"}})
    list(model.stream("stream please"))
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    for fragment in (
        'tandem_ai_calls_total{arm="openai",feature="metrics-test",model="gpt-4o",outcome="ok",'
        'provider="openai",strategy="priority"}',
        'tandem_ai_failovers_total{from_provider="openai",reason="server_error",to_provider="anthropic"}',
        'tandem_ai_attempt_errors_total{error_class="transient",provider="openai"',
        'tandem_ai_call_latency_seconds_bucket{le="0.5",outcome="ok",provider="openai"}',
        'tandem_ai_time_to_first_token_seconds_count{provider="openai"}',
        'tandem_ai_tokens_total{direction="output",model="gpt-4o",provider="openai"}',
        'tandem_ai_cost_usd_total{model="gpt-4o",provider="openai"}',
        'tandem_ai_budget_remaining_usd{period="daily",provider="anthropic"}',
        "tandem_ai_circuit_state",
    ):
        assert fragment in text, fragment


def test_metrics_can_be_switched_off(emulator_settings: Callable[..., Settings]) -> None:
    response = _client(emulator_settings(METRICS_ENABLED=False)).get("/metrics")
    assert response.status_code == 404 and "METRICS_ENABLED" in response.json()["detail"]


def test_ai_status_reports_providers_health_latency_spend_and_strategy(
    emulator_settings: Callable[..., Settings], tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'status.db'}"
    upgrade(url)
    settings = emulator_settings(
        AI_ROUTING_STRATEGY="weighted", AI_ROUTING_WEIGHTS="openai=1,anthropic=0",
        AI_BUDGET_OPENAI_DAILY_USD=2, DATABASE_URL=url, AI_LEDGER_FLUSH_SECONDS=0.05,
    )
    with _client(settings) as client:
        runtime = client.app.state.ai_runtime  # type: ignore[attr-defined]  # the app's own runtime
        get_llm_provider(runtime=runtime).invoke("hello tokens=20")
        client.app.state.usage_ledger.flush()  # type: ignore[attr-defined]
        body: dict[str, Any] = client.get("/api/v1/ai/status").json()
    assert body["strategy"] == {"name": "weighted", "weights": {"openai": 1.0, "anthropic": 0.0}}
    openai = body["providers"]["openai"]
    assert (openai["role"], openai["model"], openai["configured"]) == ("primary", "gpt-4o", True)
    assert openai["health"]["successes"] >= 1 and openai["recent_latency_ms"] > 0
    assert openai["circuit"] in (None, "closed")
    daily = openai["spend"]["daily"]
    assert daily["limit_usd"] == 2 and daily["spent_usd"] > 0 and daily["remaining_usd"] < 2
    assert body["providers"]["anthropic"]["role"] == "fallback"
    assert body["history"] and "openai" in body["history"][-1]["providers"]
    assert body["history_source"].startswith("usage ledger")
    assert "sk-test-openai" not in str(body)
    for strategy, key in (("ab", "split"), ("cost", "assumed_output_tokens")):
        status = _client(emulator_settings(AI_ROUTING_STRATEGY=strategy)).get("/api/v1/ai/status").json()
        assert key in status["strategy"]


def test_status_and_metrics_read_the_runtime_that_served_the_calls(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    """Two differently configured apps in one process: each reports its own calls only."""
    circuits = create_app(emulator_settings(
        AI_CIRCUIT_ENABLED=True, AI_CIRCUIT_MIN_FAILURES=2, AI_REQUEST_TIMEOUT=0.5, AI_LEDGER_ENABLED=False,
    ))
    weighted = create_app(emulator_settings(
        AI_ROUTING_STRATEGY="weighted", AI_ROUTING_WEIGHTS="openai=0,anthropic=1",
        AI_CIRCUIT_ENABLED=False, AI_LEDGER_ENABLED=False,
    ))  # built last: a process-wide "latest" breaker or tracker would be this one
    openai_emulator.faults.set_default(Fault(status=500))
    for _ in range(2):
        circuits.state.ai_runtime.model().invoke("hello", config={"metadata": {"feature": "one"}})
    openai_emulator.faults.clear()
    weighted.state.ai_runtime.model().invoke("hello", config={"metadata": {"feature": "two"}})

    first = TestClient(circuits).get("/api/v1/ai/status").json()
    second = TestClient(weighted).get("/api/v1/ai/status").json()
    assert first["providers"]["openai"]["circuit"] == "open"
    assert first["providers"]["openai"]["health"]["failures"] == 2
    assert first["providers"]["anthropic"]["health"]["successes"] == 2
    assert first["strategy"] == {"name": "priority"}
    assert second["providers"]["openai"]["circuit"] is None and second["providers"]["openai"]["health"] is None
    assert second["providers"]["anthropic"]["health"]["successes"] == 1
    assert second["strategy"]["name"] == "weighted"
    one = TestClient(circuits).get("/metrics").text
    two = TestClient(weighted).get("/metrics").text
    assert 'feature="one"' in one and 'feature="two"' not in one
    assert 'feature="two"' in two and 'feature="one"' not in two
    assert 'tandem_ai_circuit_state{provider="openai"} 2.0' in one


def test_request_id_is_echoed_or_made_and_reaches_the_provider_log_line(
    emulator_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    settings = emulator_settings(AI_LEDGER_ENABLED=False)
    app = create_app(settings)
    model = app.state.ai_runtime.model()

    @app.get("/probe")
    def probe() -> dict[str, str]:  # a route calling the model, as the AI features do
        return {"content": str(model.invoke("hello").content)}

    caplog.set_level(logging.INFO, logger="app.ai.providers")
    client = TestClient(app)
    given = client.get("/probe", headers={"X-Request-ID": "abc-123"})
    made = client.get("/probe")
    bad = client.get("/health", headers={"X-Request-ID": "no spaces allowed"})
    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert bad.headers["x-request-id"] != "no spaces allowed"
    call_lines = [r for r in caplog.records if getattr(r, "event", None) == "ai_call"]
    assert [getattr(r, "request_id", None) for r in call_lines] == ["abc-123", made.headers["x-request-id"]]


def test_status_page_and_its_assets_are_served(emulator_settings: Callable[..., Settings]) -> None:
    client = _client(emulator_settings())
    page = client.get("/status")
    assert page.status_code == 200 and "Tandem AI status" in page.text
    assert client.get("/status/status.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/status/status.css").status_code == 200
    assert client.get("/status/secrets.env").status_code == 404


def test_scrape_gauges_encode_circuit_states() -> None:
    gauges = ScrapeTimeGauges(lambda: {}, lambda: {"openai": {"state": "open"}, "x": {"state": "weird"}})
    circuit = next(m for m in gauges.collect() if m.name == "tandem_ai_circuit_state")
    assert {s.labels["provider"]: s.value for s in circuit.samples} == {"openai": 2.0, "x": -1.0}
