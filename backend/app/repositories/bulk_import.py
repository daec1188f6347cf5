"""Bulk ingestion of jobs or candidates: streamed, validated, inserted in batches.

Why not the HTTP import: it validates and inserts one request body in memory, which
suits dozens of rows, not a million. Here records are read one at a time (JSON Lines
line by line, a JSON array through `ijson`'s incremental parser), validated with the
same models as `POST /jobs` / `POST /candidates`, and written in batches: PostgreSQL
`COPY` (one round trip per batch, the triggers of migration 0006 run once per batch),
SQLite one `executemany`. Memory is one batch, whatever the file's size.

Rejected records are counted, and the first `MAX_REPORTED` kept with their line (JSON
Lines) or element number (JSON array) and the reasons, so a bad line costs only
itself. `strict=True` writes everything in one transaction and stops at the first
rejected record, leaving the database as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, Any

import ijson
import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from app.db.versioning import bump_versions
from app.models import Candidate, CandidateCreate, Job, JobCreate, utcnow

MAX_REPORTED = 50
JSON_COLUMNS = {"required_skills", "skills", "desired_locations"}
DEFAULT_BATCH = 2_000
KINDS: dict[str, tuple[type[BaseModel], Any]] = {
    "jobs": (JobCreate, Job.__table__),  # type: ignore[attr-defined]
    "candidates": (CandidateCreate, Candidate.__table__),  # type: ignore[attr-defined]
}


@dataclass(frozen=True)
class Rejected:
    """A record that was not imported: where it is and why."""

    where: str
    reason: str


@dataclass
class ImportSummary:
    imported: int = 0
    rejected: int = 0
    examples: list[Rejected] = field(default_factory=list)
    stopped: str | None = None
    """Why the import stopped before the end of the file (None: it read it all)."""

    def reject(self, where: str, reason: str) -> None:
        self.rejected += 1
        if len(self.examples) < MAX_REPORTED:
            self.examples.append(Rejected(where, reason))


class StrictStop(Exception):
    """--strict met a rejected record: nothing is kept."""


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in error.errors()
    )


def records(stream: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """(where, parsed value or a `ValueError`) per record; JSON array or JSON Lines by the
    first non-blank byte. A broken array raises ValueError (no later element is reachable)."""
    head = stream.peek(64) if hasattr(stream, "peek") else b""
    if head.lstrip()[:1] == b"[":
        for number, value in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            yield f"element {number}", value
        return
    for number, raw in enumerate(stream, start=1):
        if raw.strip():
            try:
                yield f"line {number}", json.loads(raw)
            except ValueError as error:
                yield f"line {number}", ValueError(f"not valid JSON: {error}")


class BatchWriter:
    """Inserts validated rows of one table, by COPY (PostgreSQL) or executemany."""

    def __init__(self, session: Session, kind: str) -> None:
        self.session = session
        self.kind = kind
        self.table = KINDS[kind][1]
        self.columns = [c.name for c in self.table.c if c.name != "id"]
        self.json_columns = JSON_COLUMNS & set(self.columns)

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            self._copy(rows)
        else:
            self.session.execute(sa.insert(self.table), rows)
        bump_versions(self.session, {self.kind})

    def analyze(self) -> None:
        """PostgreSQL, once the import is done: fresh planner statistics for the table
        and what its triggers filled, and the postings' visibility map set.

        Why: autovacuum gets to a freshly imported table only after a while; until then
        the planner sees it as nearly empty and picks plans that read every row
        (measured at 100,000 jobs: a stage-one lane 75 ms instead of 30 ms), and an
        index-only scan of the skill postings still visits the heap for every entry
        (at 1,000,000 jobs: 16 ms instead of 10 ms for a recommendation's lanes).
        `VACUUM` cannot run in a transaction, hence its own autocommit connection.
        """
        bind = self.session.get_bind()
        if bind.dialect.name != "postgresql":
            return
        postings = {"jobs": "job_skill_postings", "candidates": "candidate_skill_postings"}[self.kind]
        engine = bind.engine if isinstance(bind, sa.engine.Connection) else bind
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f"VACUUM (ANALYZE) {postings}"))
            connection.execute(sa.text(f"ANALYZE {self.table.name}, skill_stats"))

    def _copy(self, rows: list[dict[str, Any]]) -> None:
        raw = self.session.connection().connection.driver_connection
        columns = ", ".join(self.columns)
        with raw.cursor() as cursor, cursor.copy(f"COPY {self.table.name} ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([self._copy_value(c, row[c]) for c in self.columns])

    def _copy_value(self, column: str, value: Any) -> Any:
        if column in self.json_columns:
            return json.dumps(value)
        return value.value if isinstance(value, Enum) else value


def import_file(
    session: Session,
    kind: str,
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH,
    strict: bool = False,
    check: Callable[[BaseModel], str | None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every valid record of `path` into table `kind` ("jobs" or "candidates").

    `check` may reject a validated record with a reason (runtime limits such as
    MAX_RESUME_CHARS); `progress` is told how many records each batch consumed.
    """
    model = KINDS[kind][0]
    writer = BatchWriter(session, kind)
    summary = ImportSummary()
    batch: list[dict[str, Any]] = []
    seen = 0

    def flush() -> None:
        nonlocal seen
        writer.write(batch)
        summary.imported += len(batch)
        if not strict:
            session.commit()
        batch.clear()
        if progress is not None:
            progress(seen)
        seen = 0

    try:
        with path.open("rb") as stream:
            for where, value in records(stream):
                seen += 1
                reason = _validate(model, value, check, batch)
                if reason is not None:
                    summary.reject(where, reason)
                    if strict:
                        raise StrictStop(where)
                if len(batch) >= batch_size:
                    flush()
        flush()
        session.commit()
        writer.analyze()
    except StrictStop as stop:
        session.rollback()
        summary.imported = 0
        summary.stopped = f"--strict: stopped at {stop}; nothing was imported"
    except (ijson.JSONError, ValueError) as error:
        read = summary.imported + summary.rejected + len(batch)
        session.rollback()  # the unfinished batch; committed batches stay (not --strict)
        if strict:
            summary.imported = 0
        summary.stopped = f"the file is not valid JSON after record {read}: {error}"
    return summary


def _validate(
    model: type[BaseModel],
    value: Any,
    check: Callable[[BaseModel], str | None] | None,
    batch: list[dict[str, Any]],
) -> str | None:
    if isinstance(value, ValueError):
        return str(value)
    if not isinstance(value, dict):
        return f"expected a JSON object, got {type(value).__name__}"
    try:
        item = model.model_validate(value)
    except ValidationError as error:
        return _reason(error)
    reason = check(item) if check is not None else None
    if reason is None:
        batch.append(item.model_dump() | {"created_at": utcnow()})
    return reason
