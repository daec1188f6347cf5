"""The usage ledger writer: buffers call records and inserts them from a background thread.

Why a thread and a queue: an AI answer must never wait for, or fail because of, the
database. `on_call` only appends to a queue; a daemon thread inserts batches every
`flush_seconds` (or sooner when a batch fills). `close()` drains everything, and is
registered with `atexit` and the app's shutdown, so a clean stop loses nothing. When
the database is down, rows stay queued (up to `max_pending`) and are retried.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Engine

from app.ai.providers.policies.pricing import token_counts
from app.ai.providers.records import CallRecord
from app.core.request_context import get_client_id, get_request_id
from app.models.usage import ATTEMPT_OUTCOME_PREFIX, UsageRecord

logger = logging.getLogger("app.observability.ledger")
_TABLE: Table = UsageRecord.__table__  # type: ignore[attr-defined]


def row_for(record: CallRecord, now: datetime | None = None) -> dict[str, Any]:
    """The ledger row of one call."""
    usage = record.usage
    request_id = record.metadata.get("request_id") or get_request_id()
    client_id = record.metadata.get("client_id") or get_client_id()
    feature = record.metadata.get("feature")
    return {
        "created_at": now or datetime.now(UTC),
        "feature": str(feature)[:64] if feature else None,
        "provider": record.provider,
        "model": record.model,
        **token_counts(usage),
        "cost_usd": float(record.cost_usd or 0.0),
        "latency_ms": float(record.latency_ms),
        "outcome": record.outcome,
        "failover": bool(record.failover),
        "strategy": record.strategy,
        "arm": record.arm,
        "request_id": str(request_id)[:64] if request_id else None,
        "client_id": str(client_id)[:64] if client_id else None,
        "client": str(client)[:100] if (client := record.metadata.get("client")) else None,
    }


def rows_for(record: CallRecord, now: datetime | None = None) -> list[dict[str, Any]]:
    """The rows of one call: one per failed attempt (see app/models/usage.py), then the call's."""
    call = row_for(record, now)
    failed = [
        {
            **call,
            "provider": attempt.provider,
            "model": attempt.model,
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_read_tokens": 0,
            "cache_write_tokens": 0,
            "cost_usd": 0.0,
            "latency_ms": float(attempt.latency_ms),
            "outcome": (ATTEMPT_OUTCOME_PREFIX + attempt.outcome)[:32],
            "failover": False,
        }
        for attempt in record.attempts
        if not attempt.ok
    ]
    return [*failed, call]


class UsageLedger:
    """A `CallObserver` that persists every call to the `ai_usage` table."""

    def __init__(
        self, engine: Engine, *, flush_seconds: float = 1.0, batch_size: int = 500, max_pending: int = 100_000
    ) -> None:
        self.engine = engine
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self._retry: list[dict[str, Any]] = []
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="usage-ledger", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def on_call(self, record: CallRecord) -> None:
        if self._stopped.is_set():
            return
        if self._queue.qsize() + len(self._retry) >= self.max_pending:
            self.dropped += 1  # the database has been down for very long; keep memory bounded
            return
        for row in rows_for(record):
            self._queue.put_nowait(row)
        if self._queue.qsize() >= self.batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        return self._queue.qsize() + len(self._retry)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write everything queued so far; returns rows written (0 when the database failed)."""
        with self._flush_lock:
            rows, self._retry = self._retry, []
            while True:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not rows:
                return 0
            try:
                with self.engine.begin() as connection:
                    for start in range(0, len(rows), self.batch_size):
                        connection.execute(insert(_TABLE), rows[start:start + self.batch_size])
            except Exception:
                logger.exception("usage ledger: %d rows not written yet, will retry", len(rows))
                self._retry = rows
                return 0
            self.written += len(rows)
            return len(rows)

    def close(self) -> None:
        """Stop the thread and write what is left (idempotent)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()
        atexit.unregister(self.close)
