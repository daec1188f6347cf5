"""Wiring observability into an app: request ids, metrics, the usage ledger.

`install_observability(app, settings, runtime)` is the one line `create_app` needs.
Metrics belong to the application and observe the calls of *its* AI runtime; the
ledger belongs to the app's lifespan: started on start-up, drained on shutdown, so
nothing queued is lost. The status page's history is read back from the ledger
(app/observability/ledger_history.py).
"""

from __future__ import annotations

from fastapi import FastAPI

from app.ai.providers import AIRuntime
from app.core.config import Settings
from app.db.engine import get_engine
from app.observability.ledger import UsageLedger
from app.observability.metrics import MetricsObserver, ScrapeTimeGauges
from app.observability.request_id import RequestIdMiddleware, install_request_id_logging


def install_observability(app: FastAPI, settings: Settings, runtime: AIRuntime) -> None:
    app.add_middleware(RequestIdMiddleware)
    install_request_id_logging()
    metrics = MetricsObserver()
    metrics.install_scrape_gauges(ScrapeTimeGauges(runtime.spend_snapshot, runtime.circuit_snapshot))
    runtime.add_observer(metrics)
    app.state.metrics = metrics
    app.state.usage_ledger = None

    def start_ledger() -> None:
        if settings.AI_LEDGER_ENABLED:
            engine = get_engine(settings.DATABASE_URL)
            ledger = UsageLedger(engine, flush_seconds=settings.AI_LEDGER_FLUSH_SECONDS)
            app.state.usage_ledger = ledger
            runtime.add_observer(ledger)

    def stop_ledger() -> None:
        ledger: UsageLedger | None = app.state.usage_ledger
        if ledger is not None:
            runtime.remove_observer(ledger)
            ledger.close()
            app.state.usage_ledger = None

    app.router.add_event_handler("startup", start_ledger)
    app.router.add_event_handler("shutdown", stop_ledger)
