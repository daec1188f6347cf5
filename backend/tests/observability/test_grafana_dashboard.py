"""deploy/grafana/tandem-ai.json parses and queries only series that /metrics exposes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.ai.providers.factory import get_llm_provider
from app.core.config import Settings
from app.main import create_app
from emulators import Fault, RunningEmulator

DASHBOARD = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "tandem-ai.json"
SERIES = re.compile(r"\btandem_ai_[a-z0-9_]+")


def _expressions(dashboard: dict[str, Any]) -> list[str]:
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if isinstance(query, dict):
            exprs.append(query["query"])
    return exprs


def test_dashboard_parses_and_has_one_query_per_panel_at_least() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 8
    assert all(panel.get("targets") for panel in dashboard["panels"])


def test_every_series_the_dashboard_queries_is_in_metrics(
    emulator_settings: Callable[..., Settings], openai_emulator: RunningEmulator
) -> None:
    settings = emulator_settings(AI_LEDGER_ENABLED=False, AI_REQUEST_TIMEOUT=0.5,
                                 AI_BUDGET_OPENAI_DAILY_USD=0.000001)
    app = create_app(settings)
    client = TestClient(app)
    model = get_llm_provider(runtime=app.state.ai_runtime)  # the app's runtime feeds its /metrics
    openai_emulator.faults.push(Fault(status=503, times=1))
    model.invoke("hello")                     # a failed attempt and a failover
    list(model.stream("stream tokens=5"))     # time to first token; spends the tiny openai budget
    model.invoke("hello")                     # openai skipped: budget exhausted
    exposed = client.get("/metrics").text
    samples = {line.split("{", 1)[0].split(" ", 1)[0] for line in exposed.splitlines()
               if line and not line.startswith("#")}
    queried = {name for expr in _expressions(json.loads(DASHBOARD.read_text())) for name in SERIES.findall(expr)}
    assert len(queried) >= 10
    missing = sorted(queried - samples)
    assert not missing, f"the dashboard queries series /metrics does not expose: {missing}"
