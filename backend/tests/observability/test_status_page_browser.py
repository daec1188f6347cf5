"""The status page in headless Chromium: sign-in, safe query parameters, and charts with lines.

Skipped when Chromium is absent on a developer machine; under CI=true its absence is a
failure (scripts/start-services.sh installs it). The history comes from the usage ledger
(a real SQLite database): rows of the last minutes plus live calls through the emulators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.config import Settings
from app.db import get_engine, init_db, session_scope
from app.main import create_app
from app.models.usage import UsageRecord
from app.security import create_api_key
from emulators import Fault, RunningEmulator
from tests.support.browser import Page, chromium
from tests.support.serving import serving

CHARTS = ("chart-latency", "chart-failovers", "chart-spend")


def _seed_history(url: str, minutes: int = 5) -> None:
    """Ledger rows for the last `minutes` minutes: what earlier processes and other workers wrote."""
    now = datetime.now(UTC)
    with Session(get_engine(url)) as session:
        for ago in range(1, minutes + 1):
            at = now - timedelta(minutes=ago)
            session.add(UsageRecord(created_at=at, provider="openai", model="gpt-4o", outcome="ok",
                                    latency_ms=120.0 + ago, cost_usd=0.002))
            session.add(UsageRecord(created_at=at, provider="openai", model="gpt-4o",
                                    outcome="attempt:transient", latency_ms=15.0))
            session.add(UsageRecord(created_at=at, provider="anthropic", model="claude", outcome="ok",
                                    latency_ms=300.0 - ago, cost_usd=0.003, failover=True))
        session.commit()


@pytest.fixture
def serve(emulator_settings: Callable[..., Settings], tmp_path: Path) -> Iterator[Callable[..., str]]:
    """`serve(**settings)`: the app on a real server, its ledger on the test's SQLite file."""
    with ExitStack() as servers:

        def start(**overrides: Any) -> str:
            settings = emulator_settings(
                DATABASE_URL=f"sqlite:///{tmp_path / 'status.db'}", AI_LEDGER_FLUSH_SECONDS=0.05,
                AI_REQUEST_TIMEOUT=0.5, **overrides,
            )
            app = create_app(settings)
            start.apps.append(app)  # type: ignore[attr-defined]  # tests call through its runtime
            return servers.enter_context(serving(app))

        start.apps = []  # type: ignore[attr-defined]

        init_db(f"sqlite:///{tmp_path / 'status.db'}")
        yield start


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    chromium()
    browser_page = Page(tmp_path / "profile")
    yield browser_page
    browser_page.close()


def _lines(page: Page, chart: str) -> list[list[Any]]:
    """[[series name, number of points on its drawn line], ...] of one chart."""
    return list(page.evaluate(
        f"[...document.querySelectorAll('#{chart} path.ct-line')]"
        ".map(p => [p.dataset.series, (p.getAttribute('d').match(/[ML]/g) || []).length])"
    ))


def test_each_chart_draws_lines_with_several_points_on_a_time_axis(
    serve: Callable[..., str], page: Page, tmp_path: Path, openai_emulator: RunningEmulator,
    emulator_settings: Callable[..., Settings],
) -> None:
    _seed_history(f"sqlite:///{tmp_path / 'status.db'}")
    base = serve()
    model = serve.apps[-1].state.ai_runtime.model()  # type: ignore[attr-defined]  # the served app's calls
    model.invoke("hello tokens=10")
    openai_emulator.faults.push(Fault(status=500, times=1))
    model.invoke("hello")
    page.goto(f"{base}/status")
    page.wait_for("document.body.dataset.loaded === 'true' && document.querySelectorAll('path.ct-line').length >= 4")
    assert page.evaluate("document.getElementById('strategy').textContent") == "priority"
    rows = page.evaluate("[...document.querySelectorAll('#providers tbody tr')].map(r => r.dataset.provider)")
    assert rows[:2] == ["openai", "anthropic"]
    latency = dict(_lines(page, "chart-latency"))
    assert latency.keys() == {"openai", "anthropic"} and min(latency.values()) >= 5
    failovers = dict(_lines(page, "chart-failovers"))
    assert failovers.keys() == {"failovers", "failed attempts"} and min(failovers.values()) >= 5
    spend = dict(_lines(page, "chart-spend"))
    assert {"openai", "anthropic"} <= spend.keys() and min(spend.values()) >= 5
    for chart in CHARTS:
        labels = page.evaluate(f"[...document.querySelectorAll('#{chart} .ct-label.ct-horizontal')]"
                               ".map(l => l.textContent)")
        assert len(labels) >= 2 and all(len(label) == 5 and label[2] == ":" for label in labels), labels
        legend = page.evaluate(f"[...document.querySelectorAll('#{chart} .legend li')].map(l => l.textContent)")
        assert legend and not page.evaluate(f"document.querySelector('#{chart} svg').textContent.includes('openai')")
    caption = page.evaluate("document.querySelector('#chart-latency figcaption').textContent")
    assert "from the start of a call to its complete" in caption and "failover included" in caption
    assert "Could not load status" not in page.evaluate("document.body.textContent")


def test_query_parameters_cannot_redirect_the_page_or_make_it_poll_without_delay(
    serve: Callable[..., str], page: Page
) -> None:
    base = serve()
    for api in ("https://attacker.example/collect", "//attacker.example/x", "javascript:alert(1)"):
        page.goto(f"{base}/status?api={api}&poll=0")
        page.wait_for("document.body.dataset.loaded === 'true'")
        assert page.evaluate("document.body.dataset.api") == "/api/v1/ai/status"
        assert page.evaluate("document.body.dataset.pollMs") == "2000"
    page.goto(f"{base}/status?poll=60000")
    assert page.wait_for("document.body.dataset.pollMs") == "60000"


def test_api_keys_mode_signs_in_with_a_key_kept_in_session_storage(
    serve: Callable[..., str], page: Page, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'status.db'}"
    with session_scope(url) as session:
        admin = create_api_key(session, "ops", "admin").key
        user = create_api_key(session, "app", "user").key
    base = serve(AUTH_MODE="api-keys")
    page.goto(f"{base}/status")
    page.wait_for("!document.getElementById('sign-in').hidden")
    assert page.evaluate("document.body.dataset.loaded") is None
    page.evaluate(f"document.getElementById('api-key').value = '{user}'; "
                  "document.getElementById('sign-in').requestSubmit()")
    assert "not an admin key" in page.wait_for(
        "!document.getElementById('sign-in').hidden && document.getElementById('error').textContent")
    page.evaluate(f"document.getElementById('api-key').value = '{admin}'; "
                  "document.getElementById('sign-in').requestSubmit()")
    page.wait_for("document.body.dataset.loaded === 'true'")
    assert page.evaluate("sessionStorage.getItem('tandem-status-admin-key')") == admin
    assert admin not in page.evaluate("location.href")
    assert page.evaluate("document.getElementById('sign-in').hidden") is True
    page.evaluate("document.getElementById('sign-out').click()")
    page.wait_for("!document.getElementById('sign-in').hidden")
    assert page.evaluate("sessionStorage.getItem('tandem-status-admin-key')") is None
