"""Wiring observability into an app: request ids, metrics, the usage ledger.

`install_observability(app, settings)` is the one line `create_app` needs. Metrics
observe every call of the process (registered once); the ledger belongs to the app's
lifespan: started on start-up, drained on shutdown, so nothing queued is lost. The
status page's history is read back from the ledger (app/observability/ledger_history.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.ai.providers.budget import budget_tracker
from app.ai.providers.observers import register_observer, unregister_observer
from app.core.config import Settings
from app.db.engine import get_engine
from app.observability.ledger import UsageLedger
from app.observability.metrics import MetricsObserver, ScrapeTimeGauges, install_scrape_gauges
from app.observability.request_id import RequestIdMiddleware, install_request_id_logging

_metrics_observer = MetricsObserver()


def circuit_states() -> dict[str, dict[str, Any]] | None:
    """The circuit breakers' snapshot when the resilience layer provides one."""
    try:
        from app.ai.providers.circuit import circuit_snapshot
    except ImportError:  # pragma: no cover - circuit breakers are optional
        return None
    return circuit_snapshot()


def install_observability(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(RequestIdMiddleware)
    install_request_id_logging()
    register_observer(_metrics_observer)
    install_scrape_gauges(
        ScrapeTimeGauges(budget_tracker(settings).snapshot, lambda: circuit_states() or {})
    )
    app.state.usage_ledger = None

    def start_ledger() -> None:
        if settings.AI_LEDGER_ENABLED:
            engine = get_engine(settings.DATABASE_URL)
            ledger = UsageLedger(engine, flush_seconds=settings.AI_LEDGER_FLUSH_SECONDS)
            app.state.usage_ledger = ledger
            register_observer(ledger)

    def stop_ledger() -> None:
        ledger: UsageLedger | None = app.state.usage_ledger
        if ledger is not None:
            unregister_observer(ledger)
            ledger.close()
            app.state.usage_ledger = None

    app.router.add_event_handler("startup", start_ledger)
    app.router.add_event_handler("shutdown", stop_ledger)
